// What every JobQueue must do, run against both implementations: the in-process queue
// always, and BullMQ when a Redis is reachable.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  QUEUE_NAME,
  OUTAGE_ATTEMPTS,
  OutageError,
  UnrecoverableError,
  createBullmqQueue,
  createInProcessQueue,
  startBullmqWorker,
  type JobHandlers,
  type JobQueue,
  type QueueLogger,
  type RetryOptions,
  type RunningWorker,
} from '@shipshape/queue';
import {
  deferred,
  handlers,
  recordingLogger,
  redisUrl,
  retry,
  sync,
  uniquePrefix,
} from './helpers';

interface Running {
  queue: JobQueue;
  /** The job's BullMQ state; the in-process queue keeps no record of finished jobs. */
  stateOf?: (jobId: string) => Promise<string>;
}

interface Implementation {
  name: string;
  available: boolean;
  start: (handlers: JobHandlers, logger: QueueLogger, options?: RetryOptions) => Running;
}

const redisReachable = redisUrl !== '';
if (!redisReachable) {
  console.warn(`No Redis: the BullMQ queue tests are skipped.`);
}

const implementations: Implementation[] = [
  {
    name: 'in-process',
    available: true,
    start(jobHandlers, logger, options = retry) {
      const queue = createInProcessQueue({ handlers: jobHandlers, logger, retry: options });
      onTestFinished(() => queue.close());
      return { queue };
    },
  },
  {
    name: 'BullMQ',
    available: redisReachable,
    start(jobHandlers, logger, options = retry) {
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
        startBullmqWorker({
          connection: redisUrl,
          prefix,
          handlers: jobHandlers,
          logger,
          retry: options,
        }),
      );
      const queue = createBullmqQueue({ connection: redisUrl, prefix, retry: options });
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
      // The first job is still running when the second arrives: a finished job may run again.
      const secondEnqueued = deferred();
      const { logger } = recordingLogger();
      const { queue } = start(
        handlers({
          'process-file': async ({ fileId }) => {
            seen.push(fileId);
            await secondEnqueued.promise;
          },
          'export-data': sync(() => {
            later.resolve();
          }),
        }),
        logger,
      );
      const fileId = randomUUID();
      expect(await queue.enqueue('process-file', { fileId }, { jobId: `file-${fileId}` })).toBe(
        true,
      );
      expect(
        await queue.enqueue('process-file', { fileId: randomUUID() }, { jobId: `file-${fileId}` }),
      ).toBe(false);
      secondEnqueued.resolve();
      // Jobs start in the order they were enqueued, so once this one runs a duplicate would have too.
      await queue.enqueue('export-data', { exportId: randomUUID() });
      await later.promise;
      expect(seen).toEqual([fileId]);
    });

    it('retries a job failing with an OutageError up to OUTAGE_ATTEMPTS times', async () => {
      const outageRuns: boolean[] = [];
      const otherRuns: boolean[] = [];
      const { logger, entries } = recordingLogger();
      const { queue } = start(
        handlers({
          'export-data': sync((_payload, { willRetry }) => {
            const error = new OutageError('storage is away');
            outageRuns.push(willRetry(error));
            throw error;
          }),
          'process-file': sync((_payload, { willRetry }) => {
            const error = new Error('a bug');
            otherRuns.push(willRetry(error));
            throw error;
          }),
        }),
        logger,
        { attempts: 2, backoffMs: 5 },
      );
      await queue.enqueue('export-data', { exportId: randomUUID() });
      await queue.enqueue('process-file', { fileId: randomUUID() });

      await vi.waitFor(
        () => expect(entries.filter((e) => e.level === 'error')).toHaveLength(2),
        10_000,
      );
      // What the handler was told matches what the queue did: true until the last attempt.
      expect(outageRuns).toEqual([...Array(OUTAGE_ATTEMPTS - 1).fill(true), false]);
      expect(otherRuns).toEqual([true, false]);
    });

    it('runs a finished job again when its jobId is enqueued again', async () => {
      const runs: string[] = [];
      const { logger } = recordingLogger();
      const { queue, stateOf } = start(
        handlers({
          'process-file': sync(({ fileId }) => {
            runs.push(fileId);
          }),
        }),
        logger,
      );
      const fileId = randomUUID();
      expect(await queue.enqueue('process-file', { fileId }, { jobId: `again-${fileId}` })).toBe(
        true,
      );
      await vi.waitFor(() => expect(runs).toHaveLength(1));
      // BullMQ keeps the finished job for inspection; it must not stand in the way.
      if (stateOf)
        await vi.waitFor(async () => expect(await stateOf(`again-${fileId}`)).toBe('completed'));

      expect(await queue.enqueue('process-file', { fileId }, { jobId: `again-${fileId}` })).toBe(
        true,
      );
      await vi.waitFor(() => expect(runs).toEqual([fileId, fileId]));
    });

    it('lets a job enqueue another job on the same queue', async () => {
      const ran = deferred<string>();
      const { logger } = recordingLogger();
      const fileId = randomUUID();
      const { queue } = start(
        handlers({
          'resume-work': async (_payload, context) => {
            await context.enqueue('process-file', { fileId }, { jobId: `follow-up-${fileId}` });
          },
          'process-file': sync((payload) => {
            ran.resolve(payload.fileId);
          }),
        }),
        logger,
      );
      await queue.enqueue('resume-work', {});
      expect(await ran.promise).toBe(fileId);
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
      await queue.schedule('cleanup', {}, { every: 100 });
      await vi.waitFor(() => expect(runs).toBeGreaterThanOrEqual(3), 5000);
    });

    it('passes its readiness check once connected', async () => {
      const { logger } = recordingLogger();
      const { queue } = start(handlers(), logger);
      await vi.waitFor(() => queue.check(), 2000);
    });
  });
}
