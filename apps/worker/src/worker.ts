// The worker on Redis: registers the cleanup schedule, then runs jobs as they arrive.
import type { Config } from '@shipshape/config';
import type { Database } from '@shipshape/db';
import type { Logger } from '@shipshape/logger';
import {
  createBullmqQueue,
  scheduleCleanup,
  startBullmqWorker,
  type JobHandlers,
  type RunningWorker,
} from '@shipshape/queue';
import type { Storage } from '@shipshape/storage';
import { createJobHandlers } from './handlers';

export interface WorkerOptions {
  config: Pick<Config, 'redis' | 'jobs'>;
  db: Database;
  storage: Storage;
  logger: Logger;
  /** The real handlers unless given; tests wrap them to slow them down or count runs. */
  handlers?: JobHandlers;
  /** How soon a dead worker's jobs are taken over (BullMQ's 30 s by default); tests shorten it. */
  bullmq?: { stalledInterval?: number; lockDuration?: number };
}

export type { RunningWorker };

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { config, db, storage, logger } = options;
  const { url, prefix } = config.redis;
  if (!url) throw new Error('The worker needs config.redis.url');

  await registerCleanupSchedule(url, prefix, config.jobs);
  return startBullmqWorker({
    connection: url,
    prefix,
    handlers: options.handlers ?? createJobHandlers({ db, storage, logger, jobs: config.jobs }),
    concurrency: config.jobs.concurrency,
    logger,
    ...options.bullmq,
  });
}

// Every worker registers it at start and the scheduler's id is the job name: however many
// workers run, there is one schedule, and changing CLEANUP_EVERY_MINUTES takes effect.
async function registerCleanupSchedule(url: string, prefix: string, jobs: Config['jobs']) {
  // Retries are a property of the job, set where it is added: here, for scheduled cleanups.
  const queue = createBullmqQueue({
    connection: url,
    prefix,
    attempts: jobs.attempts,
    backoffMs: jobs.backoffMs,
  });
  try {
    await scheduleCleanup(queue, { every: jobs.cleanupEveryMs });
  } finally {
    await queue.close();
  }
}
