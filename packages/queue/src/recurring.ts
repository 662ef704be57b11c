// The jobs that run on a timer rather than because a request asked for them. Every worker (and,
// in local development, the API's in-process queue) registers them at start; the schedule's id
// is the job name, so however many processes do, each job has one schedule.
import type { JobQueue } from './queue';

/**
 * How often 'resume-work' looks for rows whose job may be missing. Short, because an upload
 * made while Redis was away waits this long after Redis returns; the query is cheap.
 */
export const RESUME_WORK_EVERY_MS = 5_000;

export async function scheduleRecurringJobs(
  queue: JobQueue,
  { cleanupEveryMs, resumeWorkEveryMs = RESUME_WORK_EVERY_MS }: RecurringJobsOptions,
): Promise<void> {
  await queue.schedule('cleanup', {}, { every: cleanupEveryMs });
  await queue.schedule('resume-work', {}, { every: resumeWorkEveryMs });
}

export interface RecurringJobsOptions {
  cleanupEveryMs: number;
  /** Tests shorten it. */
  resumeWorkEveryMs?: number;
}

/**
 * The database backup, for the worker alone: it runs pg_dump, which the API's image lacks.
 * `pattern` undefined (BACKUP_SCHEDULE=off) removes a schedule registered before.
 */
export async function scheduleBackups(queue: JobQueue, pattern: string | undefined): Promise<void> {
  if (pattern === undefined) await queue.unschedule('backup');
  else await queue.schedule('backup', {}, { pattern });
}
