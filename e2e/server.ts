// The app as each end-to-end project sees it, started by @shipshape/stack at the addresses the
// specs read it at (e2e/topology.ts), each with an S3 server and a mail catcher of its own:
// - `local`: the API from source serving the frontend, as `pnpm dev` runs it, on a throwaway
//   database (on DATABASE_URL's server when set, else embedded); with REDIS_URL the worker
//   process runs the jobs, without it the API runs them in-process.
// - `production`: the built bundles with APP_ENV=production, two API replicas and a worker
//   behind Caddy with the repository's Caddyfile, over HTTPS. Needs a Postgres server and Redis,
//   as a deployment does; everything the processes write goes to a file the specs read.
// Stopped (Playwright sends SIGTERM), it stops everything and removes the database, the bucket
// and the Redis keys it made.
import { createWriteStream } from 'node:fs';
import { loadConfigOrExit } from '@shipshape/config';
import { stopOnSignals } from '@shipshape/lifecycle';
import { createLogger } from '@shipshape/logger';
import { buildBundles, startStack, type StackOptions } from '@shipshape/stack';
import { local, production } from './topology';

const config = loadConfigOrExit();
const topology = process.argv[2];
if (topology !== 'local' && topology !== 'production') {
  throw new Error('usage: e2e/server.ts local|production');
}
const logger = createLogger(config, `e2e-${topology}`);

function localOptions(): StackOptions {
  return {
    name: 'e2e',
    code: 'source',
    appEnv: 'local',
    ports: [local.port],
    postgres: config.databaseUrl ? { server: config.databaseUrl } : { embedded: {} },
    redis: config.redis.url,
    s3: { embedded: { port: Number(new URL(local.s3.endpoint).port) } },
    bucket: local.s3.bucket,
    mail: { webPort: Number(new URL(local.mailUrl).port) },
    env: {
      // Links in mail lead where the browser opens the app.
      PUBLIC_URL: local.url,
      // The tests sign in and out many times from one address.
      AUTH_RATE_LIMIT: '1000',
    },
  };
}

function productionOptions(): StackOptions {
  if (!config.databaseUrl || !config.redis.url) {
    throw new Error('the production topology needs DATABASE_URL and REDIS_URL');
  }
  buildBundles();
  const log = createWriteStream(production.logFile);
  return {
    name: 'e2e',
    code: 'bundles',
    appEnv: 'production',
    replicas: 2,
    ports: production.replicaPorts,
    caddy: { tls: true, port: production.port, output: (line) => log.write(`caddy | ${line}\n`) },
    postgres: { server: config.databaseUrl },
    redis: config.redis.url,
    s3: { embedded: { port: Number(new URL(production.s3.endpoint).port) } },
    bucket: production.s3.bucket,
    mail: { webPort: Number(new URL(production.mailUrl).port) },
    env: {
      // The tests sign in and out many times from one address; the per-account limit stays at
      // its default, and replicas.spec.ts checks that it holds across both replicas.
      AUTH_RATE_LIMIT: '1000',
      // What a deployment must set: who sends mail, and where its links lead.
      MAIL_FROM: 'Shipshape <no-reply@shipshape.test>',
      PUBLIC_URL: production.url,
      // A line per request, as a deployment logs: accounts.spec.ts looks for tokens in them.
      LOG_LEVEL: 'info',
    },
    output: (name, line) => log.write(`${name} | ${line}\n`),
    progress: (line) => {
      console.log(`e2e production: ${line}`);
    },
  };
}

const stack = startStack({
  ...(topology === 'production' ? productionOptions() : localOptions()),
  // An API or worker that exits leaves the specs talking to half an app.
  onExit: (name) => {
    stop(`${name} exited`);
  },
});
const stop = stopOnSignals({
  name: `The ${topology} end-to-end server`,
  logger,
  // The children end themselves within their own grace period; this only catches one that hangs.
  timeoutMs: config.shutdownGraceMs + 10_000,
  close: stack.stop,
});
// A start that fails has stopped what it started, and this rejects with why.
await stack.ready;
