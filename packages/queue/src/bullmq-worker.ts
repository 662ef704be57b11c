// The consumer side on Redis: the worker process runs jobs as they arrive.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { createBullmqQueue, QUEUE_NAME } from './bullmq-queue';
import {
  silentLogger,
  type JobHandlers,
  type JobQueue,
  type QueueLogger,
  type RetryOptions,
} from './queue';
import { createRedisClient, type RedisConnectionOptions } from './redis';
import { willRetry } from './retry';
import { logFailure, runJob } from './run-job';

export interface BullmqWorkerOptions {
  connection: RedisConnectionOptions;
  prefix: string;
  handlers: JobHandlers;
  retry: RetryOptions;
  /** Where jobs add other jobs (`context.enqueue`); by default a queue of the worker's own. */
  queue?: JobQueue;
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
  const { retry } = options;
  const ownsQueue = options.queue === undefined;
  const queue =
    options.queue ??
    createBullmqQueue({
      connection: options.connection,
      prefix: options.prefix,
      retry,
      logger: log,
    });
  // A worker blocks on Redis waiting for jobs; BullMQ requires that commands never time out.
  // It opens its own connections from this one, which therefore never needs to connect.
  const redis = createRedisClient(options.connection, {
    maxRetriesPerRequest: null,
    lazyConnect: true,
  });

  const running = new Set<Promise<unknown>>();
  const worker = new Worker<unknown, void>(QUEUE_NAME, (job) => track(running, runOne(job)), {
    connection: redis,
    prefix: options.prefix,
    concurrency: options.concurrency ?? 1,
    // BullMQ's own defaults, spelled out: it takes an explicit `undefined` as a value.
    lockDuration: options.lockDuration ?? 30_000,
    stalledInterval: options.stalledInterval ?? 30_000,
  });

  async function runOne(job: Job) {
    const jobId = job.id ?? 'unknown';
    const attempt = job.attemptsMade + 1;
    try {
      await runJob(options.handlers, job.name, job.data, {
        jobId,
        attempt,
        willRetry: (error) => willRetry(error, attempt, retry),
        enqueue: (name, payload, options) => queue.enqueue(name, payload, options),
        log,
      });
    } catch (error) {
      const retrying = willRetry(error, attempt, retry);
      logFailure(log, { name: job.name, jobId, attempt }, error, retrying);
      // BullMQ was told the most attempts any error gets (retry.ts); this one gets fewer.
      if (!retrying && !(error instanceof UnrecoverableError)) throw givingUp(error);
      throw error;
    }
  }
  worker.on('error', (error) => {
    log.error({ err: error }, 'Job worker error');
  });
  // Another worker's lock expired: it died, or blocked its event loop for longer than lockDuration.
  worker.on('stalled', (jobId) => {
    log.warn({ jobId }, 'Job stalled; it goes back to waiting (or fails after too many stalls)');
  });

  return {
    async close() {
      // worker.close() waits for the running jobs, then for its blocking connection to end. A
      // connection caught reconnecting (Redis just came back) never reports its end, and close
      // would wait forever (taskforcesh/bullmq#4656). So: the jobs get all the time they need,
      // the connection a few seconds more, and then the worker is left behind, closed or not.
      const closed = worker.close();
      await Promise.allSettled(running);
      const gaveUp = await Promise.race([
        closed.then(() => false),
        sleep(CONNECTION_CLOSE_MS).then(() => true),
      ]);
      if (gaveUp) log.warn({}, 'The job worker did not close its Redis connection; leaving it');
      if (ownsQueue) await queue.close();
      redis.disconnect();
    },
  };
}

const CONNECTION_CLOSE_MS = 3_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Runs `work` while it is in `running`, so that close() can wait for it. */
function track<T>(running: Set<Promise<unknown>>, work: Promise<T>): Promise<T> {
  running.add(work);
  void work.finally(() => running.delete(work)).catch(() => undefined);
  return work;
}

/** The same message (BullMQ shows it as the job's failedReason), marked as not to be retried. */
function givingUp(error: unknown): UnrecoverableError {
  const message = error instanceof Error ? error.message : String(error);
  const final = new UnrecoverableError(message);
  final.cause = error;
  return final;
}
