// The API process: read config, connect to Postgres, S3 and the job queue, listen,
// and stop cleanly on SIGTERM or Ctrl-C (see http/graceful-shutdown.ts).
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '@shipshape/config';
import { connectDatabase } from '@shipshape/db';
import { stopOnSignals } from '@shipshape/lifecycle';
import { createLogger } from '@shipshape/logger';
import { createStorage } from '@shipshape/storage';
import { createApp } from './app';
import { createPostgresAttemptCounter } from './auth/attempts/postgres';
import { connectRedisAttemptCounter } from './auth/attempts/redis';
import { SIGN_IN_WINDOW_MS } from './auth/throttle';
import { ABORT_WINDOW_MS, createGracefulShutdown } from './http/graceful-shutdown';
import { createJobQueue } from './jobs';
import { createMetrics } from './metrics';
import { createSessionStore } from './session';
import { startSessionCache } from './session-cache';

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
// Recent sessions in memory, each dropped the moment its row or its user changes (session-cache.ts).
const sessionCache = startSessionCache({ databaseUrl: config.databaseUrl, pool, logger });
const sessionStore = createSessionStore(pool, { prune: true, cache: sessionCache });
// Failed sign-ins are counted where every replica sees them: Redis, or Postgres without it.
const attempts = config.redis.url
  ? await connectRedisAttemptCounter(config.redis.url, {
      windowMs: SIGN_IN_WINDOW_MS,
      prefix: `${config.redis.prefix}:auth-attempts`,
    })
  : createPostgresAttemptCounter(db, { windowMs: SIGN_IN_WINDOW_MS });

// In local development the API serves the frontend itself, so the browser sees one origin.
const bundledWebRoot = fileURLToPath(new URL('../../web/public', import.meta.url));
const webRoot = config.webRoot ?? (config.isLocal ? bundledWebRoot : undefined);

// Prometheus scrapes each process on the private network; Caddy keeps /metrics from the public.
const metrics = createMetrics({
  redis: config.redis.url ? { url: config.redis.url, prefix: config.redis.prefix } : undefined,
  processMetrics: true,
});

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
  metrics,
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
stopOnSignals({
  name: 'API',
  logger,
  // The grace, the abort window, half a second to release: 9.5 s with the default 8 s grace,
  // before Docker's SIGKILL at 10 s.
  timeoutMs: config.shutdownGraceMs + ABORT_WINDOW_MS + 500,
  async close() {
    await shutdown.drain(server);
    sessionStore.close();
    await sessionCache.close();
    await Promise.all([queue.close(), pool.end(), attempts.close(), metrics.close()]);
    storage.close();
  },
});
