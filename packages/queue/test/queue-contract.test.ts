// What every JobQueue must do, run against both implementations: the in-process queue
// always, and BullMQ when a Redis is reachable.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  QUEUE_NAME,
  UnrecoverableError,
  createBullmqQueue,
  createInProcessQueue,
  scheduleCleanup,
  startBullmqWorker,
  type JobHandlers,
  type JobQueue,
  type QueueLogger,
  type RunningWorker,
} from '@shipshape/queue';
import { deferred, handlers, recordingLogger, redisUrl, sync, uniquePrefix } from './helpers';

const retry = { attempts: 3, backoffMs: 100 };

interface Running {
  queue: JobQueue;
  /** The job's BullMQ state; the in-process queue keeps no record of finished jobs. */
  stateOf?: (jobId: string) => Promise<string>;
}

interface Implementation {
  name: string;
  available: boolean;
  start: (handlers: JobHandlers, logger: QueueLogger) => Running;
}

const redisReachable = redisUrl !== '';
if (!redisReachable) {
  console.warn(`No Redis: the BullMQ queue tests are skipped.`);
}

const implementations: Implementation[] = [
  {
    name: 'in-process',
    available: true,
    start(jobHandlers, logger) {
      const queue = createInProcessQueue({ handlers: jobHandlers, logger, ...retry });
      onTestFinished(() => queue.close());
      return { queue };
    },
  },
  {
    name: 'BullMQ',
    available: redisReachable,
    start(jobHandlers, logger) {
      const prefix = uniquePrefix();
      const redis = new Redis(redisUrl);
      const inspector = new Queue(QUEUE_NAME, { connection: redis, prefix });
      const opened: (JobQueue | RunningWorker)[] = [];
      onTestFinished(async () => {
        for (const item of opened) await item.close();
        await inspector.close();
        await redis.quit();
      });
      // The worker first, so that it closes first.
      opened.push(
        startBullmqWorker({ connection: redisUrl, prefix, handlers: jobHandlers, logger }),
      );
      const queue = createBullmqQueue({ connection: redisUrl, prefix, ...retry });
      opened.push(queue);
      return {
        queue,
        async stateOf(jobId) {
          return (await inspector.getJob(jobId))?.getState() ?? 'missing';
        },
      };
    },
  },
];

for (const implementation of implementations) {
  describe.skipIf(!implementation.available)(`${implementation.name} queue`, () => {
    const { start } = implementation;

    it('runs a job with its payload, on attempt 1', async () => {
      const ran = deferred<{ payload: unknown; jobId: string; attempt: number }>();
      const { logger } = recordingLogger();
      const { queue } = start(
        handlers({
          'process-file': sync((payload, { jobId, attempt }) => {
            ran.resolve({ payload, jobId, attempt });
          }),
        }),
        logger,
      );
      const fileId = randomUUID();
      await queue.enqueue('process-file', { fileId }, { jobId: `file-${fileId}` });
      expect(await ran.promise).toEqual({
        payload: { fileId },
        jobId: `file-${fileId}`,
        attempt: 1,
      });
    });

    it('retries a failing job `attempts` times with growing backoff, then fails it', async () => {
      const runs: { attempt: number; at: number }[] = [];
      const { logger, entries } = recordingLogger();
      const { queue, stateOf } = start(
        handlers({
          'export-data': sync((_payload, { attempt }) => {
            runs.push({ attempt, at: performance.now() });
            throw new Error('the export broke');
          }),
        }),
        logger,
      );
      await queue.enqueue('export-data', { exportId: randomUUID() }, { jobId: 'failing-export' });

      await vi.waitFor(() => expect(entries.some((e) => e.level === 'error')).toBe(true), 5000);
      expect(runs.map((run) => run.attempt)).toEqual([1, 2, 3]);
      const [first = 0, second = 0, third = 0] = runs.map((run) => run.at);
      // Exponential: 100 ms before the second attempt, 200 ms before the third (timers are not exact).
      expect(second - first).toBeGreaterThanOrEqual(90);
      expect(third - second).toBeGreaterThanOrEqual(180);
      expect(entries.map((e) => [e.level, e.message])).toEqual([
        ['warn', 'Job failed; it will be retried'],
        ['warn', 'Job failed; it will be retried'],
        ['error', 'Job failed for good'],
      ]);
      if (stateOf)
        await vi.waitFor(async () => expect(await stateOf('failing-export')).toBe('failed'));
    });

    it('does not retry a job whose handler throws an UnrecoverableError', async () => {
      let runs = 0;
      const { logger, entries } = recordingLogger();
      const { queue } = start(
        handlers({
          'process-file': sync(() => {
            runs += 1;
            throw new UnrecoverableError('the file is gone');
          }),
        }),
        logger,
      );
      await queue.enqueue('process-file', { fileId: randomUUID() });
      await vi.waitFor(() => expect(entries.some((e) => e.level === 'error')).toBe(true), 5000);
      expect(runs).toBe(1);
      expect(entries.filter((e) => e.level === 'warn')).toEqual([]);
    });

    it('runs a job once when the same jobId is enqueued twice', async () => {
      const seen: string[] = [];
      const later = deferred();
      const { logger } = recordingLogger();
      const { queue } = start(
        handlers({
          'process-file': sync(({ fileId }) => {
            seen.push(fileId);
          }),
          'export-data': sync(() => {
            later.resolve();
          }),
        }),
        logger,
      );
      const fileId = randomUUID();
      await queue.enqueue('process-file', { fileId }, { jobId: `file-${fileId}` });
      await queue.enqueue('process-file', { fileId: randomUUID() }, { jobId: `file-${fileId}` });
      // Jobs start in the order they were enqueued, so once this one runs a duplicate would have too.
      await queue.enqueue('export-data', { exportId: randomUUID() });
      await later.promise;
      expect(seen).toEqual([fileId]);
    });

    it('rejects an invalid payload or job id at enqueue, and runs nothing', async () => {
      let runs = 0;
      const { logger } = recordingLogger();
      const { queue } = start(
        handlers({
          'process-file': sync(() => {
            runs += 1;
          }),
        }),
        logger,
      );
      await expect(queue.enqueue('process-file', { fileId: 'not-a-uuid' })).rejects.toMatchObject({
        name: 'ZodError',
      });
      await expect(
        queue.enqueue('process-file', { fileId: randomUUID() }, { jobId: 'file:1' }),
      ).rejects.toThrow("must not be an integer or contain ':'");
      expect(runs).toBe(0);
    });

    it('runs a scheduled job again and again', async () => {
      let runs = 0;
      const { logger } = recordingLogger();
      const { queue } = start(
        handlers({
          cleanup: sync(() => {
            runs += 1;
          }),
        }),
        logger,
      );
      await scheduleCleanup(queue, { every: 100 });
      await vi.waitFor(() => expect(runs).toBeGreaterThanOrEqual(3), 5000);
    });

    it('passes its readiness check once connected', async () => {
      const { logger } = recordingLogger();
      const { queue } = start(handlers(), logger);
      await vi.waitFor(() => queue.check(), 2000);
    });
  });
}
