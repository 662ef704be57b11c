// The API process: read config, connect to Postgres, S3 and the job queue, listen,
// and shut down cleanly on SIGTERM.
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '@shipshape/config';
import { connectDatabase } from '@shipshape/db';
import { createLogger } from '@shipshape/logger';
import { createStorage } from '@shipshape/storage';
import { createApp } from './app';
import { createPostgresAttemptCounter } from './auth/attempts/postgres';
import { connectRedisAttemptCounter } from './auth/attempts/redis';
import { SIGN_IN_WINDOW_MS } from './auth/throttle';
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

const app = createApp({
  config,
  db,
  logger,
  sessionStore,
  storage,
  queue,
  attempts,
  webRoot,
  readinessChecks: {
    database: () => pool.query('select 1'),
    storage: () => storage.check(),
    queue: () => queue.check(),
  },
});

const server = app.listen(config.port, () => {
  logger.info(`API listening on port ${config.port} (APP_ENV=${config.appEnv})`);
});

// Stop accepting connections, let in-flight requests finish, then release everything.
function shutdown(signal: string) {
  logger.info(`${signal} received, shutting down`);
  server.close(() => {
    sessionStore.close();
    void Promise.all([queue.close(), pool.end()]).then(() => {
      storage.close();
      process.exit(0);
    });
  });
  server.closeIdleConnections();
  setTimeout(() => process.exit(1), 10_000).unref();
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
