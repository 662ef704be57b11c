// Where the API's jobs go. With REDIS_URL they are enqueued to BullMQ and the worker process
// runs them; without it (local development only; config refuses it elsewhere) the worker's
// own handlers run inside this process, so `pnpm dev` needs no Redis.
import type { Config } from '@shipshape/config';
import type { Database } from '@shipshape/db';
import type { Logger } from '@shipshape/logger';
import {
  createBullmqQueue,
  createInProcessQueue,
  scheduleRecurringJobs,
  type JobQueue,
} from '@shipshape/queue';
import type { Storage } from '@shipshape/storage';

export async function createJobQueue(deps: {
  config: Pick<Config, 'redis' | 'jobs'>;
  db: Database;
  storage: Storage;
  logger: Logger;
}): Promise<JobQueue> {
  const { redis, jobs } = deps.config;
  const retry = { attempts: jobs.attempts, backoffMs: jobs.backoffMs };
  if (redis.url) {
    return createBullmqQueue({
      connection: redis.url,
      prefix: redis.prefix,
      logger: deps.logger,
      ...retry,
    });
  }
  // Loaded only here, so a deployed API never loads the image libraries the worker uses.
  const { createJobHandlers } = await import('@shipshape/worker/handlers');
  const queue = createInProcessQueue({
    handlers: createJobHandlers({ ...deps, jobs }),
    logger: deps.logger,
    ...retry,
  });
  await scheduleRecurringJobs(queue, { cleanupEveryMs: jobs.cleanupEveryMs });
  return queue;
}
