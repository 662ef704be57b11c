// `pnpm dev`: the whole app on a laptop with nothing but Node installed.
// Whatever is not configured is started here, once, and kept across code reloads:
// an embedded Postgres when DATABASE_URL is unset, an embedded S3 server when S3_ENDPOINT is unset,
// a mail catcher when neither SMTP_URL nor SMTP_HOST is set (its page shows what the app sends).
// Then the API runs with reload on change, and the worker too when REDIS_URL is set (without it,
// the API runs the same job handlers in-process). @shipshape/stack does the starting.
// Ctrl-C stops the API and the worker the way a platform does (SIGTERM: requests and running
// jobs finish), then the embedded services, and exits 0. package.json runs this file with
// `exec`, so no shell waits in between: dash, Debian's sh, ends itself with SIGINT after a
// Ctrl-C whatever its child's status, and pnpm then reports the script as failed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigOrExit } from '@shipshape/config';
import { stopOnSignals, waitUntilReady } from '@shipshape/lifecycle';
import { createLogger } from '@shipshape/logger';
import { startStack } from '@shipshape/stack';

// A developer's overrides, if any; variables already set in the shell win.
if (existsSync('.env')) process.loadEnvFile('.env');

const config = loadConfigOrExit();
if (!config.isLocal) {
  console.error(`pnpm dev is for APP_ENV=local (it is ${config.appEnv}).`);
  process.exit(1);
}

const logger = createLogger(config, 'dev');
const stack = startStack({
  name: 'dev',
  code: 'watch',
  appEnv: 'local',
  ports: [config.port],
  postgres: config.databaseUrl
    ? { url: config.databaseUrl }
    : { embedded: { dataDir: join(config.dataDir, 'postgres') } },
  ...(!config.s3.endpoint && {
    s3: { embedded: { dataDir: join(config.dataDir, 's3') } },
    bucket: config.s3.bucket,
  }),
  // Mailpit's usual web port, where a developer may look first.
  ...(!process.env.SMTP_URL &&
    !process.env.SMTP_HOST && {
      mail: { webPort: 8025, elsewhereIfTaken: true },
    }),
  workers: config.redis.url ? 1 : 0,
  // The watcher stays up when its program crashes (it waits for a fix), so this is unexpected.
  onExit: (name) => {
    stop(`The watcher of ${name} exited`);
  },
  progress: (line) => {
    console.log(`\x1b[36m›\x1b[0m ${line}`);
  },
});

// From the first moment, so a Ctrl-C during start-up stops what has started so far.
const stop = stopOnSignals({
  name: 'Shipshape',
  logger,
  // The children end themselves within their own grace period; this only catches one that hangs.
  timeoutMs: config.shutdownGraceMs + 5_000,
  close: stack.stop,
});

const { url, mailUrl } = await stack.ready;
try {
  await waitUntilReady(`${url}/healthz`, 60_000);
  const mailLine = mailUrl ? `\n  Mail it sends: ${mailUrl.replace('127.0.0.1', 'localhost')}` : '';
  console.log(
    `\n  \x1b[1mShipshape is running at http://localhost:${config.port}\x1b[0m${mailLine}\n  Press Ctrl-C to stop.\n`,
  );
} catch {
  // The API's own log above says why; saving a fix restarts it.
  logger.warn(`The API has not answered on ${url}/healthz for a minute.`);
}
