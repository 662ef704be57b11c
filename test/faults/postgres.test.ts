// Postgres restarted under the running API replicas and worker (a failover, a minor-version
// upgrade, a crash): while it is down, readiness says so and requests that need it are answered
// 503 with a message; once it is back, the same processes serve again, sessions included
// (they live in Postgres, and survive its restart), without being restarted themselves.
// This file runs a Postgres server of its own, since it stops it.
import { afterAll, beforeAll, describe, expect, it, onTestFailed, vi } from 'vitest';
import { flatPng } from '../../e2e/png';
import { Client } from '@shipshape/stack/http';
import {
  countStatus,
  describeTallies,
  sleep,
  startRig,
  startTraffic,
  waitForFiles,
} from './harness';
import type { Rig } from './harness';
import { signUp, upload } from './site';
import { startOwnPostgres, type OwnPostgres } from './own-postgres';

let postgres: OwnPostgres;
let rig: Rig;
beforeAll(async () => {
  postgres = await startOwnPostgres();
  rig = await startRig({ postgresUrl: postgres.url, replicas: 2, workers: 1 });
});
afterAll(async () => {
  await postgres.start();
  await rig.stop();
  await postgres.remove();
});

async function readiness(): Promise<{ status: number; checks: Record<string, string> }[]> {
  const clients: Client[] = [
    ...rig.stack.replicaUrls.map((url) => new Client(url, { keepAlive: true })),
    new Client(rig.stack.url, { ca: rig.stack.ca, keepAlive: true }),
  ];
  try {
    const answers = await Promise.all(clients.map((client) => client.get('/readyz')));
    return answers.map((answer) => ({
      status: answer.status,
      checks: answer.json.checks,
    }));
  } finally {
    clients.forEach((client) => {
      client.close();
    });
  }
}

describe('Postgres restarted', () => {
  it('is reported by readiness, and the API recovers without a restart', async () => {
    onTestFailed(() => {
      console.log(
        rig.logs.entries
          .filter(
            (e) =>
              /error|Error|terminat|exit/.test(e.line) && !e.line.includes('request completed'),
          )
          .slice(0, 30)
          .map((e) => `${e.process}: ${e.line.slice(0, 300)}`)
          .join('\n'),
      );
    });
    const client = rig.client();
    await signUp(client);
    const before = await client.post('/api/notes', {
      json: { title: 'before the restart', body: 'written while Postgres was up' },
    });
    expect(before.status).toBe(201);
    const pids = [...rig.stack.processes.api, ...rig.stack.processes.workers].map((p) => p.pid);
    // Reads keep coming the whole time; while Postgres is down they are expected to fail, with
    // a 503 that says so rather than a 500 or no answer.
    const traffic = startTraffic(
      [client],
      [
        {
          name: 'GET /api/notes',
          send: (c) => c.get('/api/notes?limit=20'),
          ok: (answer) =>
            answer.status === 200 ||
            (answer.status === 503 && answer.json.error.code === 'service_unavailable'),
        },
      ],
    );
    await sleep(500);

    await postgres.stop();
    let down: Awaited<ReturnType<typeof readiness>> = [];
    await vi.waitFor(
      async () => {
        down = await readiness();
        expect(down.map((r) => r.status)).toEqual([503, 503, 503]);
      },
      { timeout: 30_000, interval: 250 },
    );
    for (const { checks } of down) expect(checks).toMatchObject({ database: 'unavailable' });
    const whileDown = await client.get('/api/notes');
    expect(whileDown.status).toBe(503);
    expect(whileDown.json).toMatchObject({ error: { code: 'service_unavailable' } });
    await sleep(2_000);
    await postgres.start();

    let up: Awaited<ReturnType<typeof readiness>> = [];
    await vi.waitFor(
      async () => {
        up = await readiness();
        expect(up.map((r) => r.status)).toEqual([200, 200, 200]);
      },
      { timeout: 30_000, interval: 250 },
    );
    const tallies = await traffic.stop();
    // The same processes: none exited, none was restarted.
    expect([...rig.stack.processes.api, ...rig.stack.processes.workers].map((p) => p.pid)).toEqual(
      pids,
    );
    // The session made before the restart still holds; writes work again.
    const after = await client.post('/api/notes', {
      json: { title: 'after the restart', body: 'written once Postgres was back' },
    });
    expect(after.status).toBe(201);
    const notes = await client.get('/api/notes');
    expect(notes.status).toBe(200);
    expect(notes.json.notes).toHaveLength(2);
    // And the worker took up jobs again.
    const uploaded = await upload(client, 'after.png', flatPng(300, 200), 'image/png');
    expect(uploaded.status).toBe(201);
    const fileId = uploaded.json.id;
    await waitForFiles(rig, [fileId], 'ready');
    expect([...(await countStatus(rig, [fileId], 'ready')).values()]).toEqual([1]);

    const statuses = tallies.get('GET /api/notes')?.statuses ?? {};
    console.log(
      `Postgres restarted: readiness while down ${JSON.stringify(down.map((r) => r.status))}, ` +
        `after ${JSON.stringify(up.map((r) => r.status))}; reads ${JSON.stringify(statuses)}; ` +
        `processes restarted 0; upload after the restart processed`,
    );
    expect(tallies.get('GET /api/notes')?.failed, describeTallies(tallies)).toBe(0);
  });
});
