// What a monitor reads about the queue through BullMQ: jobs by state, and each attempt's
// duration as it ends. apps/api/test/metrics.test.ts checks the Prometheus metrics made of them.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '@shipshape/lifecycle';
import {
  QUEUE_NAME,
  createBullmqQueue,
  monitorQueue,
  startBullmqWorker,
  type JobAttempt,
  type JobCounts,
} from '@shipshape/queue';
import { handlers, redisUrl, sleep, sync, uniquePrefix } from './helpers';

/** A monitor of the queue under `prefix`, closed when the test ends. */
function monitor(prefix: string, connection = redisUrl) {
  const attempts: JobAttempt[] = [];
  const monitor = monitorQueue({ connection, prefix, onAttempt: (a) => attempts.push(a) });
  onTestFinished(() => monitor.close());
  return { monitor, attempts };
}

describe.skipIf(redisUrl === '')('the queue monitor', () => {
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

    const { monitor: queue } = monitor(prefix);
    const [first, second] = [queue.counts(), queue.counts()];
    expect(second).toBe(first);
    expect(await first).toEqual({ waiting: 2, active: 0, delayed: 1, failed: 0 });
  });

  it("reports a retried attempt and then the completed one, under the job's name", async () => {
    const prefix = uniquePrefix();
    const { monitor: queue, attempts } = monitor(prefix);
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
    const producer = createBullmqQueue({ connection: redisUrl, prefix, retry });
    onTestFinished(async () => {
      await worker.close();
      await producer.close();
    });

    // Once following, nothing added is missed: not even the event that names the job.
    await queue.following;
    await producer.enqueue('cleanup', {});
    for (let tries = 0; tries < 40 && attempts.length < 2; tries++) await sleep(100);
    expect(attempts.map(({ name, outcome }) => `${name} ${outcome}`)).toEqual([
      'cleanup retried',
      'cleanup completed',
    ]);
    for (const { seconds } of attempts) expect(seconds).toBeGreaterThanOrEqual(0);
  });

  it('does not report attempts that ended before it started', async () => {
    const prefix = uniquePrefix();
    const retry = { attempts: 1, backoffMs: 10 };
    const worker = startBullmqWorker({ connection: redisUrl, prefix, retry, handlers: handlers() });
    const producer = createBullmqQueue({ connection: redisUrl, prefix, retry });
    onTestFinished(async () => {
      await worker.close();
      await producer.close();
    });
    await producer.enqueue('cleanup', {});
    const { monitor: earlier } = monitor(prefix);
    const idle = (counts?: JobCounts) => counts?.waiting === 0 && counts.active === 0;
    for (let tries = 0; tries < 40 && !idle(await earlier.counts()); tries++) await sleep(100);
    expect(idle(await earlier.counts())).toBe(true);

    const { monitor: queue, attempts } = monitor(prefix);
    await queue.following;
    await sleep(300);
    expect(attempts).toEqual([]);
  });

  it('answers "unknown" within a second, and closes, when Redis never answers', async () => {
    const connection = `redis://127.0.0.1:${await freePort()}`;
    const queue = monitorQueue({ connection, prefix: 'nothing-here', onAttempt: () => undefined });
    const started = performance.now();
    expect(await queue.counts()).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(1_500);
    await queue.close();
    expect(performance.now() - started).toBeLessThan(3_000);
  });
});
