// How a job records that it failed. The user reads a sentence they can act on; the log keeps
// the error itself (the queue logs every failed attempt with it). A problem that retrying
// cannot fix fails at once; storage being away is retried for minutes; any other error is
// retried a few times. Only the attempt after which no retry follows writes the failure
// down, so the user never sees "failed" while a retry is still due.
import { isStorageUnavailable } from '@shipshape/storage';
import { OutageError, UnrecoverableError, type JobContext } from '@shipshape/queue';

/**
 * An error the queue must not retry. `userMessage` is shown to the user as it is; `cause`,
 * the detail, goes only to the log.
 */
export function permanentFailure(userMessage: string, cause?: unknown): UnrecoverableError {
  const error = new UnrecoverableError(userMessage);
  if (cause !== undefined) error.cause = cause;
  return error;
}

/** The first line of an error's message, short enough for a log field: never a stack trace. */
export function shortCause(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n')[0]?.trim().replace(/:$/, '') ?? '';
  if (firstLine === '') return 'unknown error';
  return firstLine.length > 200 ? `${firstLine.slice(0, 199)}…` : firstLine;
}

interface FailureRecord {
  context: JobContext;
  /** What the user reads when the job is given up for any reason but a permanent failure. */
  userMessage: string;
  /** Writes the reason to the job's row. */
  markFailed: (reason: string) => Promise<void>;
}

/**
 * Runs `work`; when it throws for good, first records a readable reason. Storage errors that
 * say the server is away become OutageErrors, which the queue retries for longer. Either way
 * the error is rethrown for the queue to handle.
 */
export async function recordingFailure(
  work: () => Promise<void>,
  { context, userMessage, markFailed }: FailureRecord,
): Promise<void> {
  try {
    await work();
  } catch (caught) {
    const error = isStorageUnavailable(caught)
      ? new OutageError(shortCause(caught), { cause: caught })
      : caught;
    if (!context.willRetry(error)) {
      const reason = error instanceof UnrecoverableError ? error.message : userMessage;
      // Failing to write the reason must not hide the error that caused it.
      await markFailed(reason).catch((writeError: unknown) => {
        context.log.error({ err: writeError }, 'Could not record the job failure');
      });
    }
    throw error;
  }
}
