// How both queues run a job they took off the queue: check it, call its handler, and log
// a failure (retry.ts decides whether another attempt follows).
import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import { isJobName, jobSchemas, type JobName, type JobPayload } from './jobs';
import type { JobContext, JobHandlers, QueueLogger } from './queue';

/**
 * Validates the job again (it may come from an older or newer version of the app),
 * then runs its handler. A job that does not validate fails without retries.
 */
export async function runJob(
  handlers: JobHandlers,
  name: string,
  payload: unknown,
  context: JobContext,
): Promise<void> {
  if (!isJobName(name)) throw new UnrecoverableError(`Unknown job "${name}"`);
  const parsed = jobSchemas[name].safeParse(payload);
  if (!parsed.success) {
    throw new UnrecoverableError(`Invalid payload for "${name}": ${z.prettifyError(parsed.error)}`);
  }
  await callHandler(handlers, name, parsed.data, context);
}

// Generic so that TypeScript pairs each name with its own handler and payload type.
function callHandler<N extends JobName>(
  handlers: JobHandlers,
  name: N,
  payload: JobPayload<N>,
  context: JobContext,
): Promise<void> {
  const handler: JobHandlers[N] = handlers[name];
  return handler(payload, context);
}

/** Logs a failed attempt: a warning when a retry follows, an error when the job is given up. */
export function logFailure(
  log: QueueLogger,
  job: { name: string; jobId: string; attempt: number },
  error: unknown,
  retrying: boolean,
): void {
  if (retrying) {
    log.warn({ err: error, ...job }, 'Job failed; it will be retried');
  } else {
    log.error({ err: error, ...job }, 'Job failed for good');
  }
}
