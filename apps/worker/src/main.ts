// The worker process: read config, connect, run jobs from Redis, and stop cleanly on SIGTERM
// or Ctrl-C.
import { loadConfigOrExit } from '@shipshape/config';
import { connectDatabase } from '@shipshape/db';
import { stopOnSignals } from '@shipshape/lifecycle';
import { createLogger } from '@shipshape/logger';
import { createMailer } from '@shipshape/mail';
import { createStorage } from '@shipshape/storage';
import { startWorker } from './worker';

const config = loadConfigOrExit();
const logger = createLogger(config, 'worker');

if (!config.redis.url) {
  // Config refuses a missing REDIS_URL outside local, so this is a laptop: nothing is wrong.
  logger.info('REDIS_URL is not set: in local development the API runs the jobs itself.');
  process.exit(0);
}
if (!config.databaseUrl) {
  logger.fatal('DATABASE_URL is not set. Run `pnpm dev`, which starts an embedded database.');
  process.exit(1);
}

const { pool, db } = connectDatabase(config.databaseUrl, { max: config.databasePoolMax });
const storage = createStorage(config.s3);
const mailer = createMailer(config.mail);
const worker = await startWorker({ config, db, storage, logger, mailer });
logger.info(
  `Worker running ${config.jobs.concurrency} job(s) at a time (APP_ENV=${config.appEnv})`,
);

// Stop taking jobs and let the running ones finish, within SHUTDOWN_GRACE_SECONDS. A job still
// running then stays behind in Redis, and BullMQ's stalled-job check gives it to another worker
// (docs/decisions/019-one-way-to-start-and-stop.md).
stopOnSignals({
  name: 'Worker',
  logger,
  timeoutMs: config.shutdownGraceMs,
  async close() {
    await worker.close();
    await pool.end();
    storage.close();
    mailer.close();
  },
});
