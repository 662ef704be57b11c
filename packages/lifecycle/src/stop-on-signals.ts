// A process stops the same way whoever asks: a platform's SIGTERM (a deploy, a scale-down), a
// terminal's Ctrl-C (SIGINT) or a closed terminal (SIGHUP). The first signal runs the process's
// own `close` (drain requests, finish running jobs, release connections), then the process exits
// 0. A second signal, or a `close` that fails or outlasts its time limit, exits 1 at once.
import type { Logger } from '@shipshape/logger';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

// One Ctrl-C can arrive twice within milliseconds: the terminal signals the whole foreground
// process group, and a parent that relays signals (pnpm does) sends it again. A repeat this soon
// is the same request delivered twice, not a person asking a second time.
const SAME_REQUEST_MS = 1_000;

export type LifecycleLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface StopOptions {
  /** Names the process in what it logs: "API stopped". */
  name: string;
  /** How long `close` may take before the process gives up on it and exits with status 1. */
  timeoutMs: number;
  logger: LifecycleLogger;
  /** Stops the process's work and releases what it holds; resolving means a clean stop. */
  close: () => Promise<void>;
}

/**
 * Stops the process on its first signal, or when the returned function is called (the reason
 * is logged): runs `close` and exits 0, or exits 1 if `close` fails or takes longer than
 * `timeoutMs`, or if another signal comes while it runs.
 */
export function stopOnSignals({ name, timeoutMs, logger, close }: StopOptions) {
  let stoppingSince: number | undefined;

  function stop(reason: string) {
    if (stoppingSince !== undefined) return;
    stoppingSince = performance.now();
    logger.info(`${reason}: stopping (within ${timeoutMs / 1000} s)`);
    setTimeout(() => {
      logger.error(`${name} did not stop within ${timeoutMs / 1000} s: exiting`);
      process.exit(1);
    }, timeoutMs).unref();
    close().then(
      () => {
        logger.info(`${name} stopped`);
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, `${name} could not stop cleanly`);
        process.exit(1);
      },
    );
  }

  for (const signal of SIGNALS) {
    process.on(signal, () => {
      if (stoppingSince === undefined) stop(`${signal} received`);
      else if (performance.now() - stoppingSince >= SAME_REQUEST_MS) {
        logger.warn(`${signal} received again: exiting without waiting`);
        process.exit(1);
      }
    });
  }
  return stop;
}
