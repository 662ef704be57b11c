// `pnpm dev`: the whole app on a laptop with nothing but Node installed.
// Whatever is not configured is started here, once, and kept across code reloads:
// an embedded Postgres when DATABASE_URL is unset, an embedded S3 server when S3_ENDPOINT is unset,
// a mail catcher when neither SMTP_URL nor SMTP_HOST is set (its page shows what the app sends).
// Then the API runs with reload on change, and the worker too when REDIS_URL is set (without it,
// the API runs the same job handlers in-process).
// Ctrl-C stops the API and the worker the way a platform does (SIGTERM: requests and running
// jobs finish), then the embedded services, and exits 0. package.json runs this file with
// `exec`, so no shell waits in between: dash, Debian's sh, ends itself with SIGINT after a
// Ctrl-C whatever its child's status, and pnpm then reports the script as failed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigOrExit } from '@shipshape/config';
import { connectDatabase, migrateDatabase } from '@shipshape/db';
import { startEmbeddedPostgres } from '@shipshape/db/embedded';
import {
  spawnTs,
  stopAll,
  stopOnSignals,
  waitUntilReady,
  type TsProcess,
} from '@shipshape/lifecycle';
import { createLogger } from '@shipshape/logger';
import { startMailCatcher } from '@shipshape/mail/catcher';
import { embeddedS3Env, startEmbeddedS3 } from '@shipshape/storage/embedded';

// A developer's overrides, if any; variables already set in the shell win.
if (existsSync('.env')) process.loadEnvFile('.env');

const config = loadConfigOrExit();
if (!config.isLocal) {
  console.error(`pnpm dev is for APP_ENV=local (it is ${config.appEnv}).`);
  process.exit(1);
}

const logger = createLogger(config, 'dev');
const step = (text: string) => {
  console.log(`\x1b[36m›\x1b[0m ${text}`);
};
const services: (() => Promise<void>)[] = [];
const children: TsProcess[] = [];
const env: NodeJS.ProcessEnv = { ...process.env };

// From the first moment, so a Ctrl-C during start-up stops what has started so far.
const stop = stopOnSignals({
  name: 'Shipshape',
  logger,
  // The children end themselves within their own grace period; this only catches one that hangs.
  timeoutMs: config.shutdownGraceMs + 5_000,
  async close() {
    try {
      await stopAll(children);
    } finally {
      for (const stopService of services.reverse()) await stopService();
    }
  },
});

if (!config.databaseUrl) {
  const dataDir = join(config.dataDir, 'postgres');
  step(`Starting embedded Postgres (data in ${dataDir}) ...`);
  const postgres = await startEmbeddedPostgres({ dataDir });
  services.push(() => postgres.stop());
  env.DATABASE_URL = postgres.url;
}

if (!config.s3.endpoint) {
  const dataDir = join(config.dataDir, 's3');
  step(`Starting embedded S3 server (data in ${dataDir}) ...`);
  // The browser sends uploads straight to this server, from the site's own origin.
  const site = [`http://localhost:${config.port}`, `http://127.0.0.1:${config.port}`];
  const s3 = await startEmbeddedS3({
    dataDir,
    cors: { bucket: config.s3.bucket, origins: site },
  });
  services.push(() => s3.stop());
  Object.assign(env, embeddedS3Env(s3));
}

let mailPage: string | undefined;
if (!env.SMTP_URL && !env.SMTP_HOST) {
  step('Starting a mail catcher (mail is kept in memory, never delivered) ...');
  // Mailpit's usual web port, where a developer may look first; a free one when it is taken.
  const catcher = await startMailCatcher({ webPort: 8025 }).catch(() => startMailCatcher());
  services.push(() => catcher.stop());
  env.SMTP_URL = catcher.smtpUrl;
  mailPage = catcher.webUrl.replace('127.0.0.1', 'localhost');
}

step('Applying database migrations ...');
const { pool, db } = connectDatabase(env.DATABASE_URL ?? '', { max: 1 });
await migrateDatabase(db);
await pool.end();

function start(entry: string) {
  const child = spawnTs(entry, { env, watch: true });
  children.push(child);
  // The watcher stays up when its program crashes (it waits for a fix), so this is unexpected.
  void child.exited.then(() => {
    stop(`The watcher of ${entry} exited`);
  });
}

step('Starting the API (reloads when you save a file) ...');
start('apps/api/src/server.ts');
if (config.redis.url) {
  step('Starting the worker (jobs go through Redis) ...');
  start('apps/worker/src/main.ts');
} else {
  step("No REDIS_URL: the API runs the worker's job handlers in-process.");
}

const healthUrl = `http://127.0.0.1:${config.port}/healthz`;
try {
  await waitUntilReady(healthUrl, 60_000);
  const mailLine = mailPage ? `\n  Mail it sends: ${mailPage}` : '';
  console.log(
    `\n  \x1b[1mShipshape is running at http://localhost:${config.port}\x1b[0m${mailLine}\n  Press Ctrl-C to stop.\n`,
  );
} catch {
  // The API's own log above says why; saving a fix restarts it.
  logger.warn(`The API has not answered on ${healthUrl} for a minute.`);
}
