// What the API (which enqueues) and the worker (which handles) agree on, whichever
// queue runs underneath: BullMQ on Redis, or the in-process queue of local development.
import type { JobName, JobPayload } from './jobs';

export interface EnqueueOptions {
  /**
   * De-duplicates: while a job with this id is waiting, running or waiting to retry, enqueuing
   * the same id again adds nothing. A finished job does not count, even one BullMQ still keeps
   * for inspection: its row says whether the work is done, and the job is added again.
   */
  jobId?: string;
}

/**
 * When a scheduled job runs: every `every` ms, or at the times a cron `pattern` names
 * (e.g. '0 3 * * *', daily at 03:00 in the process's time zone; Redis only).
 */
export type Schedule = { every: number } | { pattern: string };

export interface JobQueue {
  /**
   * Validates the payload (throws a ZodError when it is wrong) and adds the job. Resolves to
   * false when a job with the same jobId was already waiting or running, so nothing was added.
   */
  enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    options?: EnqueueOptions,
  ): Promise<boolean>;
  /**
   * Runs the job on `schedule`. Calling it again, from any process, replaces the schedule.
   * The queue registers it again each time its connection comes back: a Redis restarted
   * without persistence has forgotten it.
   */
  schedule<N extends JobName>(name: N, payload: JobPayload<N>, schedule: Schedule): Promise<void>;
  /** Removes the job's schedule, if there is one, for every process. */
  unschedule(name: JobName): Promise<void>;
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
  /**
   * Whether the queue runs the job again if this attempt throws `error` (see retry.ts):
   * a handler writes a failure down only when no retry follows.
   */
  willRetry: (error: unknown) => boolean;
  /** Adds another job to the queue this one runs on. */
  enqueue: JobQueue['enqueue'];
  log: QueueLogger;
}

/**
 * One handler per job name. Throwing retries the job (for longer after an OutageError),
 * unless it is an UnrecoverableError.
 */
export type JobHandlers = {
  [N in JobName]: (payload: JobPayload<N>, context: JobContext) => Promise<void>;
};

/**
 * How often and how soon a failing job runs again. Both come from config (JOB_ATTEMPTS and
 * JOB_BACKOFF_MS), and `config.jobs` carries them under these names: pass it as it is. There
 * are no defaults here, so that no second value can disagree with the configured one.
 */
export interface RetryOptions {
  /**
   * Runs before a failing job is given up, the first one included. A job that fails with an
   * OutageError gets at least OUTAGE_ATTEMPTS (see retry.ts).
   */
  attempts: number;
  /** Wait before the first retry; it doubles for each retry after. */
  backoffMs: number;
}

export const silentLogger: QueueLogger = { info() {}, warn() {}, error() {} };
