// The API process: read config, connect, listen, and shut down cleanly on SIGTERM.
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '@shipshape/config';
import { connectDatabase } from '@shipshape/db';
import { createLogger } from '@shipshape/logger';
import { createApp } from './app';
import { createSessionStore } from './session';

const config = loadConfigOrExit();
const logger = createLogger(config);

if (!config.databaseUrl) {
  logger.fatal(
    'DATABASE_URL is not set. Run `pnpm dev`, which starts an embedded database for you.',
  );
  process.exit(1);
}

const { pool, db } = connectDatabase(config.databaseUrl, { max: config.databasePoolMax });
const sessionStore = createSessionStore(pool, { prune: true });

// In local development the API serves the frontend itself, so the browser sees one origin.
const bundledWebRoot = fileURLToPath(new URL('../../web/public', import.meta.url));
const webRoot = config.webRoot ?? (config.isLocal ? bundledWebRoot : undefined);

const app = createApp({
  config,
  db,
  logger,
  sessionStore,
  webRoot,
  readinessChecks: { database: () => pool.query('select 1') },
});

const server = app.listen(config.port, () => {
  logger.info(`API listening on port ${config.port} (APP_ENV=${config.appEnv})`);
});

// Stop accepting connections, let in-flight requests finish, then release the pool.
function shutdown(signal: string) {
  logger.info(`${signal} received, shutting down`);
  server.close(() => {
    sessionStore.close();
    void pool.end().then(() => process.exit(0));
  });
  server.closeIdleConnections();
  setTimeout(() => process.exit(1), 10_000).unref();
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
