// The API process: read config, connect to Postgres, S3 and the job queue, listen,
// and shut down cleanly on SIGTERM (see http/graceful-shutdown.ts).
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '@shipshape/config';
import { connectDatabase } from '@shipshape/db';
import { createLogger } from '@shipshape/logger';
import { createStorage } from '@shipshape/storage';
import { createApp } from './app';
import { createPostgresAttemptCounter } from './auth/attempts/postgres';
import { connectRedisAttemptCounter } from './auth/attempts/redis';
import { SIGN_IN_WINDOW_MS } from './auth/throttle';
import { ABORT_WINDOW_MS, createGracefulShutdown } from './http/graceful-shutdown';
import { createJobQueue } from './jobs';
import { createSessionStore } from './session';

const config = loadConfigOrExit();
const logger = createLogger(config, 'api');

if (!config.databaseUrl) {
  logger.fatal(
    'DATABASE_URL is not set. Run `pnpm dev`, which starts an embedded database for you.',
  );
  process.exit(1);
}

const { pool, db } = connectDatabase(config.databaseUrl, { max: config.databasePoolMax });
const storage = createStorage(config.s3);
// Deployments create their bucket once, with its own permissions; a laptop gets one made for it.
if (config.isLocal) await storage.ensureBucket();
const queue = await createJobQueue({ config, db, storage, logger });
const sessionStore = createSessionStore(pool, { prune: true });
// Failed sign-ins are counted where every replica sees them: Redis, or Postgres without it.
const attempts = config.redis.url
  ? await connectRedisAttemptCounter(config.redis.url, {
      windowMs: SIGN_IN_WINDOW_MS,
      prefix: `${config.redis.prefix}:auth-attempts:`,
    })
  : createPostgresAttemptCounter(db, { windowMs: SIGN_IN_WINDOW_MS });

// In local development the API serves the frontend itself, so the browser sees one origin.
const bundledWebRoot = fileURLToPath(new URL('../../web/public', import.meta.url));
const webRoot = config.webRoot ?? (config.isLocal ? bundledWebRoot : undefined);

const shutdown = createGracefulShutdown({ graceMs: config.shutdownGraceMs, logger });

const app = createApp({
  config,
  db,
  logger,
  sessionStore,
  storage,
  queue,
  attempts,
  webRoot,
  shutdown: shutdown.state,
  readinessChecks: {
    database: () => pool.query('select 1'),
    storage: () => storage.check(),
    queue: () => queue.check(),
  },
});

const server = app.listen(config.port, () => {
  logger.info(`API listening on port ${config.port} (APP_ENV=${config.appEnv})`);
});
shutdown.watch(server);

// Drain (requests under way finish, within SHUTDOWN_GRACE_SECONDS), then release everything.
// A second signal, or a release that hangs, ends the process at once with status 1.
let stopping = false;
async function stop(signal: NodeJS.Signals) {
  if (stopping) {
    logger.warn(`${signal} received again: exiting without waiting`);
    process.exit(1);
  }
  stopping = true;
  logger.info(`${signal} received: draining for up to ${config.shutdownGraceMs / 1000} s`);
  // Half a second past the abort window: still before Docker's SIGKILL with the default 8 s.
  const hardLimitMs = config.shutdownGraceMs + ABORT_WINDOW_MS + 500;
  setTimeout(() => {
    logger.error('Shutdown did not complete in time: exiting');
    process.exit(1);
  }, hardLimitMs).unref();

  await shutdown.drain(server);
  sessionStore.close();
  await Promise.all([queue.close(), pool.end(), attempts.close()]);
  storage.close();
  logger.info('API stopped');
  process.exit(0);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, (received) => {
    stop(received).catch((error: unknown) => {
      logger.error({ err: error }, 'Could not shut down cleanly');
      process.exit(1);
    });
  });
}
