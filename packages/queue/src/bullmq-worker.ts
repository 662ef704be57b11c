// The consumer side on Redis: the worker process runs jobs as they arrive.
import { Worker } from 'bullmq';
import { QUEUE_NAME } from './bullmq-queue';
import { silentLogger, type JobHandlers, type QueueLogger } from './queue';
import { createRedisClient, type RedisConnectionOptions } from './redis';
import { logFailure, runJob } from './run-job';

export interface BullmqWorkerOptions {
  connection: RedisConnectionOptions;
  prefix: string;
  handlers: JobHandlers;
  /** Jobs this process runs at the same time. Default 1. */
  concurrency?: number;
  logger?: QueueLogger;
  /**
   * A running job holds a lock, renewed while its worker lives. When a worker dies, its jobs
   * go back to waiting once the lock has expired and a stalled-job check notices. The check
   * runs at most once per stalledInterval across all workers, so give them all the same one.
   * Both default to BullMQ's 30 s; tests shorten them.
   */
  lockDuration?: number;
  stalledInterval?: number;
}

export interface RunningWorker {
  /** Stops taking jobs and resolves once the jobs already running have finished. */
  close(): Promise<void>;
}

export function startBullmqWorker(options: BullmqWorkerOptions): RunningWorker {
  const log = options.logger ?? silentLogger;
  // A worker blocks on Redis waiting for jobs; BullMQ requires that commands never time out.
  // It opens its own connections from this one, which therefore never needs to connect.
  const redis = createRedisClient(options.connection, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
  });

  const worker = new Worker<unknown, void>(
    QUEUE_NAME,
    async (job) => {
      const jobId = job.id ?? 'unknown';
      const attempt = job.attemptsMade + 1;
      const attempts = job.opts.attempts ?? 1;
      try {
        await runJob(options.handlers, job.name, job.data, { jobId, attempt, attempts, log });
      } catch (error) {
        logFailure(log, { name: job.name, jobId, attempt, attempts }, error);
        throw error;
      }
    },
    {
      connection: redis,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 1,
      // BullMQ's own defaults, spelled out: it takes an explicit `undefined` as a value.
      lockDuration: options.lockDuration ?? 30_000,
      stalledInterval: options.stalledInterval ?? 30_000,
    },
  );
  worker.on('error', (error) => {
    log.error({ err: error }, 'Job worker error');
  });
  // Another worker's lock expired: it died, or blocked its event loop for longer than lockDuration.
  worker.on('stalled', (jobId) => {
    log.warn({ jobId }, 'Job stalled; it goes back to waiting (or fails after too many stalls)');
  });

  return {
    async close() {
      await worker.close();
      redis.disconnect();
    },
  };
}
