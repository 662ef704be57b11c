// Graceful stop for a process that runs jobs: on SIGTERM (a deploy) or SIGINT (Ctrl-C) it
// stops taking jobs and lets the running ones finish. An orchestrator that runs out of
// patience sends SIGKILL; the jobs that were running then go to another worker.
import type { Logger } from '@shipshape/logger';

// Give the container at least this long before SIGKILL (Docker's `stop_grace_period` is
// 10 s unless set; Kubernetes' `terminationGracePeriodSeconds` is 30 s).
const SHUTDOWN_TIMEOUT_MS = 30_000;

/** On the first signal, runs `close` and exits 0; a second signal or the timeout exits 1. */
export function closeOnSignals(logger: Logger, close: () => Promise<void>): void {
  let closing = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn(`${signal} received again: exiting without waiting for running jobs`);
      process.exit(1);
    }
    closing = true;
    logger.info(`${signal} received: finishing running jobs, then exiting`);
    setTimeout(() => {
      logger.error(`Running jobs did not finish within ${SHUTDOWN_TIMEOUT_MS / 1000} s: exiting`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    close().then(
      () => {
        logger.info('Worker stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'Could not shut down cleanly');
        process.exit(1);
      },
    );
  };

  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
