// How a job records that it failed. A problem that retrying cannot fix fails at once;
// any other error goes back to the queue to be retried, and only the last attempt
// writes the failure down, so the user never sees "failed" while a retry is still due.
import { UnrecoverableError, type JobContext } from '@shipshape/queue';

/** An error the queue must not retry; its message is shown to the user as it is. */
export function permanentFailure(reason: string): UnrecoverableError {
  return new UnrecoverableError(reason);
}

/** The first line of an error's message, short enough for a status line: never a stack trace. */
export function shortCause(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0]?.trim().replace(/:$/, '') ?? '';
  if (firstLine === '') return 'unknown error';
  return firstLine.length > 200 ? `${firstLine.slice(0, 199)}…` : firstLine;
}

interface FailureRecord {
  context: JobContext;
  /** Writes the reason to the job's row. */
  markFailed: (reason: string) => Promise<void>;
}

/**
 * Runs `work`; when it throws for good (a permanent failure, or the last attempt), first
 * records a readable reason. Either way the error is rethrown for the queue to handle.
 */
export async function recordingFailure(
  work: () => Promise<void>,
  { context, markFailed }: FailureRecord,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    const permanent = error instanceof UnrecoverableError;
    if (permanent || context.attempt >= context.attempts) {
      const reason = permanent
        ? error.message
        : `${shortCause(error)} (gave up after ${context.attempt} attempts)`;
      // Failing to write the reason must not hide the error that caused it.
      await markFailed(reason).catch((writeError: unknown) => {
        context.log.error({ err: writeError }, 'Could not record the job failure');
      });
    }
    throw error;
  }
}
