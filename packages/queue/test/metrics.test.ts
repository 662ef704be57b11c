// What a monitor reads about the queue through BullMQ: jobs by state, and each attempt's
// duration as it ends. apps/api/test/metrics.test.ts checks the Prometheus metrics made of them.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '@shipshape/lifecycle';
import {
  QUEUE_NAME,
  createBullmqQueue,
  followJobAttempts,
  startBullmqWorker,
  watchJobCounts,
  type JobAttempt,
} from '@shipshape/queue';
import { handlers, redisUrl, sleep, sync, uniquePrefix } from './helpers';

describe.skipIf(redisUrl === '')('queue metrics', () => {
  it('counts a job with a priority as waiting, and a delayed one as delayed', async () => {
    const prefix = uniquePrefix();
    const redis = new Redis(redisUrl);
    const producer = new Queue(QUEUE_NAME, { connection: redis, prefix });
    onTestFinished(async () => {
      await producer.close();
      await redis.quit();
    });
    await producer.add('cleanup', {});
    await producer.add('cleanup', {}, { priority: 1 });
    await producer.add('cleanup', {}, { delay: 60_000 });

    const counts = watchJobCounts({ connection: redisUrl, prefix });
    onTestFinished(() => counts.close());
    const [first, second] = [counts.read(), counts.read()];
    expect(second).toBe(first);
    expect(await first).toEqual({ waiting: 2, active: 0, delayed: 1, failed: 0 });
  });

  it("reports a retried attempt and then the completed one, under the job's name", async () => {
    const prefix = uniquePrefix();
    const seen: JobAttempt[] = [];
    const follower = followJobAttempts({ connection: redisUrl, prefix }, (attempt) => {
      seen.push(attempt);
    });
    onTestFinished(() => follower.close());
    const retry = { attempts: 2, backoffMs: 10 };
    const failOnce = sync((_payload, { attempt }) => {
      if (attempt === 1) throw new Error('first attempt fails on purpose');
    });
    const worker = startBullmqWorker({
      connection: redisUrl,
      prefix,
      retry,
      handlers: handlers({ cleanup: failOnce }),
    });
    const queue = createBullmqQueue({ connection: redisUrl, prefix, retry });
    onTestFinished(async () => {
      await worker.close();
      await queue.close();
    });

    // Following starts a moment after the call: jobs are added until one is seen to the end.
    const outcomes = () => new Set(seen.map(({ name, outcome }) => `${name} ${outcome}`));
    for (let tries = 0; tries < 40 && !outcomes().has('cleanup completed'); tries++) {
      await queue.enqueue('cleanup', {});
      await sleep(250);
    }
    expect([...outcomes()].sort()).toEqual(['cleanup completed', 'cleanup retried']);
    for (const { seconds } of seen) expect(seconds).toBeGreaterThanOrEqual(0);
  });

  it('answers "unknown" within a second, and closes, when Redis never answers', async () => {
    const connection = `redis://127.0.0.1:${await freePort()}`;
    const counts = watchJobCounts({ connection, prefix: 'nothing-here' });
    const follower = followJobAttempts({ connection, prefix: 'nothing-here' }, () => undefined);
    const started = performance.now();
    expect(await counts.read()).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_500);
    await Promise.all([counts.close(), follower.close()]);
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
