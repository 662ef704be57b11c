// Where the API's jobs go. With REDIS_URL they are enqueued to BullMQ and the worker process
// runs them; without it (local development only; config refuses it elsewhere) the job handlers
// run inside this process, so `pnpm dev` needs no Redis.
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
  config: Pick<Config, 'redis' | 'jobs' | 'mail' | 'publicUrl'>;
  db: Database;
  storage: Storage;
  logger: Logger;
}): Promise<JobQueue> {
  const { redis, jobs } = deps.config;
  if (redis.url) {
    return createBullmqQueue({
      connection: redis.url,
      prefix: redis.prefix,
      logger: deps.logger,
      retry: jobs,
    });
  }
  // Imported here and nowhere else in the API, never statically: the bundle keeps the handlers
  // (and sharp, which they load) in a chunk of their own that only this branch loads, so an API
  // with REDIS_URL, as every deployment has, never loads the image libraries.
  const { createJobHandlers } = await import('@shipshape/jobs');
  const { createMailer } = await import('@shipshape/mail');
  const mail = { mailer: createMailer(deps.config.mail), publicUrl: deps.config.publicUrl };
  const queue = createInProcessQueue({
    handlers: createJobHandlers({ ...deps, jobs, mail }),
    logger: deps.logger,
    retry: jobs,
  });
  await scheduleRecurringJobs(queue, { cleanupEveryMs: jobs.cleanupEveryMs });
  return queue;
}
