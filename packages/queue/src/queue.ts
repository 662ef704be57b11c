// What the API (which enqueues) and the worker (which handles) agree on, whichever
// queue runs underneath: BullMQ on Redis, or the in-process queue of local development.
import type { JobName, JobPayload } from './jobs';

export interface EnqueueOptions {
  /**
   * De-duplicates: while a job with this id is waiting, running or waiting to retry (and with
   * BullMQ, while it is kept after finishing), enqueuing the same id again adds nothing.
   */
  jobId?: string;
}

export interface JobQueue {
  /** Validates the payload (throws a ZodError when it is wrong) and adds the job. */
  enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    options?: EnqueueOptions,
  ): Promise<void>;
  /** Runs the job every `every` ms. Calling it again, from any process, replaces the schedule. */
  schedule<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    options: { every: number },
  ): Promise<void>;
  /** For readiness probes: throws when jobs cannot be enqueued. */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** Structured logging in the shape pino offers; every method takes details first. */
export interface QueueLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface JobContext {
  jobId: string;
  /** 1 on the first run, 2 on the first retry, and so on. */
  attempt: number;
  /** How many attempts the job gets in all: `attempt === attempts` is its last chance. */
  attempts: number;
  log: QueueLogger;
}

/** One handler per job name. Throwing retries the job, unless it is an UnrecoverableError. */
export type JobHandlers = {
  [N in JobName]: (payload: JobPayload<N>, context: JobContext) => Promise<void>;
};

export interface RetryOptions {
  /** Runs before a failing job is given up, the first one included. Default 3. */
  attempts?: number;
  /** Wait before the first retry; it doubles for each retry after. Default 1000 ms. */
  backoffMs?: number;
}

export const defaultRetry = { attempts: 3, backoffMs: 1000 };

export const silentLogger: QueueLogger = { info() {}, warn() {}, error() {} };

/** The cleanup job runs on a schedule rather than being enqueued by a request. */
export function scheduleCleanup(queue: JobQueue, options: { every: number }): Promise<void> {
  return queue.schedule('cleanup', {}, options);
}
