// When a failed job runs again: the one policy both queues follow. Most errors get the
// configured attempts (JOB_ATTEMPTS), a few seconds apart. An outage of something the job
// needs (storage unreachable, a 503) says nothing about the job itself and usually ends within
// minutes, so it is retried for longer; what can never succeed is not retried at all.
import { UnrecoverableError } from 'bullmq';
import type { RetryOptions } from './queue';

/**
 * Attempts for a job that keeps failing with an OutageError. The backoff doubles each time, so
 * with the default JOB_BACKOFF_MS of 2 s the last one comes about 8.5 minutes after the first.
 */
export const OUTAGE_ATTEMPTS = 9;

/** Thrown by a handler when a dependency is unreachable: the job is retried for longer. */
export class OutageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OutageError';
  }
}

/** The most attempts any job can get: what BullMQ is told, since it counts them itself. */
export function maxAttempts({ attempts }: RetryOptions): number {
  return Math.max(attempts, OUTAGE_ATTEMPTS);
}

/** Whether a job whose attempt number `attempt` threw `error` runs again. */
export function willRetry(error: unknown, attempt: number, retry: RetryOptions): boolean {
  if (error instanceof UnrecoverableError) return false;
  const budget = error instanceof OutageError ? maxAttempts(retry) : retry.attempts;
  return attempt < budget;
}

/** The wait before attempt `attempt + 1`: BullMQ's exponential backoff, which both queues use. */
export function retryDelay(attempt: number, { backoffMs }: RetryOptions): number {
  return backoffMs * 2 ** (attempt - 1);
}
