// Nothing that matters lives in one process: two API replicas and two workers share one
// Postgres, one Redis and one S3. A session made on one replica is good on the other; each
// upload's job runs once, on whichever worker takes it; each scheduled run happens once, not
// once per worker, although every worker registers the schedules.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { flatPng } from '../../e2e/png';
import { Client } from '@shipshape/stack/http';
import { countStatus, sleep, startRig, waitForFiles, type Rig } from './harness';
import { password, signUp, uniqueEmail, upload } from './site';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig({ replicas: 2, workers: 2 });
});
afterAll(() => rig.stop());

/** A client of one replica, sending what Caddy adds in front of it. */
function replicaClient(index: number): Client {
  const url = rig.stack.replicaUrls[index] ?? '';
  return new Client(url, {
    keepAlive: true,
    headers: {
      host: new URL(rig.stack.url).host,
      'x-forwarded-proto': 'https',
      'x-forwarded-for': `198.51.100.${index + 10}`,
    },
  });
}

describe('two API replicas', () => {
  it('honour a session wherever it was made, and end it everywhere', async () => {
    const [first, second] = [replicaClient(0), replicaClient(1)];
    const email = uniqueEmail('stateless');
    const registered = await first.post('/api/auth/register', { json: { email, password } });
    expect(registered.status).toBe(201);
    for (const [name, value] of first.cookies) second.cookies.set(name, value);

    // Written on one replica, read on the other, back and forth.
    const answers: number[] = [];
    for (let i = 0; i < 10; i++) {
      const [writer, reader] = i % 2 === 0 ? [second, first] : [first, second];
      const created = await writer.post('/api/notes', {
        json: { title: `note ${i}`, body: 'written on one replica, read on the other' },
      });
      answers.push(created.status);
      const listed = await reader.get('/api/notes?limit=50');
      answers.push(listed.status);
      expect(listed.json.notes).toHaveLength(i + 1);
    }
    expect(answers.every((status) => status === 200 || status === 201)).toBe(true);
    const session = await second.get('/api/auth/session');
    expect(session.json).toMatchObject({ user: { email } });

    expect((await second.post('/api/auth/logout')).status).toBe(204);
    // The other replica hears of it from Postgres a few milliseconds after the commit
    // (apps/api/src/session-cache.ts), and refuses the session from then on.
    await vi.waitFor(
      async () => expect((await first.get('/api/auth/session')).json).toEqual({ user: null }),
      { timeout: 2_000, interval: 20 },
    );
    expect((await first.get('/api/notes')).status).toBe(401);
    console.log(`statelessness: 20 note requests alternating between replicas, all served`);
    first.close();
    second.close();
  });
});

describe('two workers', () => {
  it('run each upload’s job once', async () => {
    const client = rig.client();
    const user = await signUp(client);
    const count = 16;
    // Four browsers' worth of uploads at once, four each.
    const ids = (
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          const mine: string[] = [];
          for (let i = 0; i < count / 4; i++) {
            const res = await upload(client, `picture-${i}.png`, flatPng(400, 300), 'image/png');
            expect(res.status).toBe(201);
            mine.push(res.json.id);
          }
          return mine;
        }),
      )
    ).flat();
    await waitForFiles(rig, ids, 'ready');
    // Two resume-work runs later, nothing has run again.
    await sleep(6_000);

    const processing = await countStatus(rig, ids, 'processing');
    const ready = await countStatus(rig, ids, 'ready');
    const started = ids.map((id) => rig.logs.find('Job started', { jobId: `process-file-${id}` }));
    const byWorker = new Map<string, number>();
    for (const entry of started.flat()) {
      byWorker.set(entry.process, (byWorker.get(entry.process) ?? 0) + 1);
    }
    const thumbnails: string[] = [];
    for await (const object of rig.storage.list(`users/${user.id}/thumbnails/`)) {
      thumbnails.push(object.key);
    }
    console.log(
      `statelessness: ${count} uploads → ${thumbnails.length} thumbnails; runs per file ` +
        `${JSON.stringify([...new Set(started.map((s) => s.length))])}; by worker ` +
        JSON.stringify(Object.fromEntries(byWorker)),
    );
    expect([...processing.values()]).toEqual(Array(count).fill(1));
    expect([...ready.values()]).toEqual(Array(count).fill(1));
    expect(started.map((s) => s.length)).toEqual(Array(count).fill(1));
    expect(thumbnails).toHaveLength(count);
  });

  it('fire each scheduled run once, not once per worker', async () => {
    const prefix = rig.stack.env.REDIS_PREFIX ?? '';
    const redis = new Redis(rig.redis.url);
    try {
      // BullMQ's event stream: one 'active' event each time a worker takes a job. A scheduled
      // run is a job whose id names its schedule and its slot (repeat:resume-work:<ms>).
      const runs = async () => {
        const entries = await redis.xrange(`${prefix}:jobs:events`, '-', '+');
        const taken = new Map<string, number>();
        for (const [, fields] of entries) {
          const event = Object.fromEntries(
            Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]]),
          ) as Record<string, string | undefined>;
          if (event.event === 'active' && event.jobId?.startsWith('repeat:')) {
            taken.set(event.jobId, (taken.get(event.jobId) ?? 0) + 1);
          }
        }
        return taken;
      };
      const slotsOf = (taken: Map<string, number>, name: string) =>
        [...taken.keys()].filter((id) => id.startsWith(`repeat:${name}:`));
      // resume-work runs every 5 s: wait for a few of its runs, however long the machine takes.
      await vi.waitFor(
        async () => {
          expect(slotsOf(await runs(), 'resume-work').length).toBeGreaterThanOrEqual(4);
        },
        { timeout: 60_000, interval: 500 },
      );
      const taken = await runs();
      const resumeSlots = slotsOf(taken, 'resume-work');
      const cleanupSlots = slotsOf(taken, 'cleanup');
      const slotTimes = resumeSlots.map((id) => Number(id.split(':').at(-1))).sort();
      const gaps = slotTimes.slice(1).map((time, i) => time - (slotTimes[i] ?? 0));
      const cleanupLogs = rig.logs.find('Cleanup finished');
      console.log(
        `statelessness: schedules registered by 2 workers; resume-work slots run ` +
          `${resumeSlots.length} (each taken ${JSON.stringify([...new Set(resumeSlots.map((id) => taken.get(id)))])} time), ` +
          `gaps ${JSON.stringify([...new Set(gaps)])} ms; cleanup runs ${cleanupSlots.length}, ` +
          `logged by ${JSON.stringify(cleanupLogs.map((e) => e.process))}`,
      );
      // Each slot was taken by one worker, once; the slots are one period apart, not doubled.
      expect(resumeSlots.map((id) => taken.get(id))).toEqual(resumeSlots.map(() => 1));
      expect(gaps.every((gap) => gap > 0 && gap % 5_000 === 0)).toBe(true);
      // The hourly cleanup: its first run, once, although both workers registered it.
      expect(cleanupSlots.map((id) => taken.get(id))).toEqual([1]);
      expect(cleanupLogs).toHaveLength(1);
    } finally {
      redis.disconnect();
    }
  });
});
