// Redis carries the job queue and the sign-in throttle's counts, nothing a page needs: while it
// is stopped, or frozen (SIGSTOP: connections open, no answers, as a hung host), the API keeps
// serving reads and sessions, accepts uploads (their rows are their own outbox, ADR 017) and
// says it is not ready. Once Redis is back, even empty (no persistence), the worker registers
// its schedules again, resume-work enqueues what was uploaded meanwhile, and each of those
// files is processed once.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { flatPng } from '../../e2e/png';
import { Client, type Reply } from '@shipshape/stack/http';
import {
  countStatus,
  describeTallies,
  sleep,
  startRig,
  startTraffic,
  waitForFiles,
  type Rig,
  type TrafficStep,
} from './harness';
import { password, signUp, upload } from './site';

let rig: Rig;
let email: string;
beforeAll(async () => {
  rig = await startRig({ replicas: 2, workers: 1 });
  email = (await signUp(rig.client())).email;
});
afterAll(() => rig.stop());

/** Reads and session checks: none may fail while Redis is away. */
const readsAndSessions: TrafficStep[] = [
  { name: 'GET /api/notes', send: (c) => c.get('/api/notes?limit=20') },
  {
    name: 'GET /api/auth/session',
    send: (c) => c.get('/api/auth/session'),
    ok: (answer) => answer.status === 200 && answer.json.user !== null,
  },
];

async function signedInClients(count: number) {
  const clients = Array.from({ length: count }, () => rig.client());
  for (const client of clients) {
    const res = await client.post('/api/auth/login', { json: { email, password } });
    expect(res.status).toBe(200);
  }
  return clients;
}

/** /readyz of each replica directly, and through Caddy. */
async function readiness(): Promise<Reply[]> {
  const direct = rig.stack.replicaUrls.map((url) => new Client(url, { keepAlive: true }));
  const answers = await Promise.all([
    ...direct.map((client) => client.get('/readyz')),
    rig.client().get('/readyz'),
  ]);
  direct.forEach((client) => {
    client.close();
  });
  return answers;
}

async function waitForReadiness(status: number) {
  await vi.waitFor(
    async () => {
      const answers = await readiness();
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => status));
      if (status === 503) {
        for (const answer of answers) {
          expect(answer.json.checks).toMatchObject({
            queue: 'unavailable',
            database: 'ok',
            storage: 'ok',
          });
        }
      }
    },
    { timeout: 30_000, interval: 250 },
  );
}

/** Uploads made meanwhile: each answered 201 at once, waiting for Redis as 'uploaded'. */
async function uploadWhileAway(count: number): Promise<string[]> {
  const client = (await signedInClients(1))[0];
  if (!client) throw new Error('no client');
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await upload(client, `meanwhile-${i}.png`, flatPng(300, 200), 'image/png');
    expect(res.status).toBe(201);
    const body = res.json;
    expect(body.status).toBe('uploaded');
    ids.push(body.id);
  }
  return ids;
}

/** Each file went to 'processing' once and to 'ready' once. */
async function expectProcessedOnce(ids: string[]) {
  await waitForFiles(rig, ids, 'ready', 90_000);
  // Two resume-work runs later, nothing has run again.
  await sleep(6_000);
  const processing = await countStatus(rig, ids, 'processing');
  const ready = await countStatus(rig, ids, 'ready');
  expect([...processing.values()]).toEqual(ids.map(() => 1));
  expect([...ready.values()]).toEqual(ids.map(() => 1));
  return { processing: [...processing.values()], ready: [...ready.values()] };
}

async function schedules(): Promise<string[]> {
  const redis = new Redis(rig.redis.url, { maxRetriesPerRequest: 1 });
  try {
    const key = `${rig.stack.env.REDIS_PREFIX ?? ''}:jobs:repeat`;
    return (await redis.zrange(key, '0', '-1')).sort();
  } finally {
    redis.disconnect();
  }
}

describe('Redis stopped for 10 s under traffic, and restarted empty', () => {
  it('keeps reads and sessions served; uploads made meanwhile are processed once it is back', async () => {
    // Whatever the worker schedules (cleanup and resume-work at least) must come back.
    const registered = await schedules();
    expect(registered).toEqual(expect.arrayContaining(['cleanup', 'resume-work']));
    const cleanupsBefore = rig.logs.find('Cleanup finished').length;
    const traffic = startTraffic(await signedInClients(2), readsAndSessions);
    await sleep(1_000);

    await rig.redis.stop(); // no snapshot: it comes back empty, as without persistence
    const stoppedAt = Date.now();
    await waitForReadiness(503);
    const ids = await uploadWhileAway(3);
    // A new sign-in works too: the throttle lets it through when it cannot count.
    const signIn = await rig.client().post('/api/auth/login', { json: { email, password } });
    expect(signIn.status).toBe(200);
    await sleep(Math.max(0, 10_000 - (Date.now() - stoppedAt)));
    await rig.redis.start();

    await waitForReadiness(200);
    const tallies = await traffic.stop();
    const counts = await expectProcessedOnce(ids);
    // The worker registered its schedules again by itself, and the cleanup ran again.
    expect(await schedules()).toEqual(registered);
    await vi.waitFor(
      () => {
        expect(rig.logs.find('Cleanup finished').length).toBeGreaterThan(cleanupsBefore);
      },
      { timeout: 30_000, interval: 250 },
    );
    const failed = [...tallies.values()].reduce((sum, t) => sum + t.failed, 0);
    console.log(
      `Redis stopped 10 s: ${describeTallies(tallies).replaceAll('\n', '; ')}; ` +
        `uploads meanwhile ${ids.length}, processing runs ${JSON.stringify(counts.processing)}, ` +
        `ready ${JSON.stringify(counts.ready)}; schedules after an empty restart: ` +
        `${(await schedules()).join(', ')}; cleanup runs logged ` +
        `${rig.logs.find('Cleanup finished').length - cleanupsBefore} after the restart`,
    );
    expect(failed, describeTallies(tallies)).toBe(0);
  });
});

describe('Redis frozen (SIGSTOP)', () => {
  it('keeps reads and sessions served, says it is not ready, and catches up once thawed', async () => {
    const traffic = startTraffic(await signedInClients(2), readsAndSessions);
    await sleep(1_000);

    rig.redis.freeze();
    try {
      await waitForReadiness(503);
      const ids = await uploadWhileAway(2);
      const signIn = await rig.client().post('/api/auth/login', { json: { email, password } });
      expect(signIn.status).toBe(200);
      await sleep(3_000);
      rig.redis.thaw();

      await waitForReadiness(200);
      const tallies = await traffic.stop();
      const counts = await expectProcessedOnce(ids);
      const failed = [...tallies.values()].reduce((sum, t) => sum + t.failed, 0);
      console.log(
        `Redis frozen: ${describeTallies(tallies).replaceAll('\n', '; ')}; uploads meanwhile ` +
          `${ids.length}, processing runs ${JSON.stringify(counts.processing)}, ready ` +
          JSON.stringify(counts.ready),
      );
      expect(failed, describeTallies(tallies)).toBe(0);
    } finally {
      rig.redis.thaw();
      await traffic.stop();
    }
  });
});
