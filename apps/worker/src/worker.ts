// The worker on Redis: registers the recurring jobs and the backup, then runs jobs as they arrive.
import type { Config } from '@shipshape/config';
import type { Database } from '@shipshape/db';
import type { Logger } from '@shipshape/logger';
import {
  createBullmqQueue,
  scheduleBackups,
  scheduleRecurringJobs,
  startBullmqWorker,
  type JobHandlers,
  type RunningWorker,
} from '@shipshape/queue';
import type { Storage } from '@shipshape/storage';
import { createJobHandlers } from '@shipshape/jobs';
import type { Mailer } from '@shipshape/mail';

export interface WorkerOptions {
  config: Pick<Config, 'redis' | 'jobs' | 'publicUrl'> & Partial<Pick<Config, 'databaseUrl'>>;
  db: Database;
  storage: Storage;
  logger: Logger;
  /** Sends the mail of the outbox ('send-email'); main.ts always passes one, most tests none. */
  mailer?: Mailer;
  /** The real handlers unless given; tests wrap them to slow them down or count runs. */
  handlers?: JobHandlers;
  /** How soon a dead worker's jobs are taken over (BullMQ's 30 s by default); tests shorten it. */
  bullmq?: { stalledInterval?: number; lockDuration?: number };
  /** How often 'resume-work' runs (RESUME_WORK_EVERY_MS by default); tests shorten it. */
  resumeWorkEveryMs?: number;
}

export type { RunningWorker };

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { config, db, storage, logger } = options;
  const { redis, jobs } = config;
  const { url, prefix } = redis;
  if (!url) throw new Error('The worker needs config.redis.url');

  // Open for as long as the worker runs: jobs enqueue other jobs through it, and it registers
  // the schedules again whenever Redis comes back, in case Redis came back empty.
  const queue = createBullmqQueue({ connection: url, prefix, logger, retry: jobs });
  // Every worker registers them and a schedule's id is the job name: however many workers run,
  // there is one schedule per job, and changing CLEANUP_EVERY_MINUTES takes effect.
  await scheduleRecurringJobs(queue, {
    cleanupEveryMs: jobs.cleanupEveryMs,
    resumeWorkEveryMs: options.resumeWorkEveryMs,
  });
  // Daily by default. Its cron times are the job ids BullMQ gives each run, so however many
  // workers register it, each time runs once; BACKUP_SCHEDULE=off removes it.
  await scheduleBackups(queue, jobs.backup.schedule);
  const worker = startBullmqWorker({
    connection: url,
    prefix,
    handlers:
      options.handlers ??
      createJobHandlers({
        db,
        storage,
        logger,
        jobs,
        databaseUrl: config.databaseUrl,
        mail: options.mailer && { mailer: options.mailer, publicUrl: config.publicUrl },
      }),
    queue,
    concurrency: jobs.concurrency,
    logger,
    retry: jobs,
    ...options.bullmq,
  });
  return {
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
