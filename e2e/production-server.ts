// The app as a deployment runs it, for the end-to-end suite's `production` project: the built
// bundles with APP_ENV=production, two API replicas and a worker behind Caddy with the
// repository's Caddyfile, over HTTPS (test/topology/production.ts). Needs a Postgres server
// (DATABASE_URL) and Redis (REDIS_URL), as a deployment does. Its mail goes to a catcher, its
// objects to an S3 server and its processes' output to a file, where the specs read them
// (production in e2e/topology.ts). Stopped by Playwright's SIGTERM, it stops everything and
// removes the database, the bucket and the Redis keys it made.
import { createWriteStream } from 'node:fs';
import { loadConfigOrExit } from '@shipshape/config';
import { stopOnSignals } from '@shipshape/lifecycle';
import { createLogger } from '@shipshape/logger';
import { startMailCatcher } from '@shipshape/mail/catcher';
import { startEmbeddedS3 } from '@shipshape/storage/embedded';
import { buildBundles, startProductionTopology } from '../test/topology/production';
import { production } from './topology';

const config = loadConfigOrExit();
const logger = createLogger(config, 'e2e-production');
if (!config.databaseUrl || !config.redis.url) {
  throw new Error('the production topology needs DATABASE_URL and REDIS_URL');
}

buildBundles();
const mail = await startMailCatcher({ webPort: Number(new URL(production.mailUrl).port) });
const s3 = await startEmbeddedS3({ port: Number(new URL(production.s3.endpoint).port) });
const log = createWriteStream(production.logFile);
const stopServices = async () => {
  await Promise.allSettled([mail.stop(), s3.stop()]);
  log.end();
};

const topology = await startProductionTopology({
  databaseServerUrl: config.databaseUrl,
  redisUrl: config.redis.url,
  port: Number(process.env.PORT),
  replicaPorts: process.env.REPLICA_PORTS?.split(',').map(Number),
  s3,
  // The tests sign in and out many times from one address; the per-account limit stays at its
  // default, and replicas.spec.ts checks that it holds across both replicas.
  env: {
    AUTH_RATE_LIMIT: '1000',
    // What a deployment must set: where mail goes, who sends it, and where its links lead.
    SMTP_URL: mail.smtpUrl,
    MAIL_FROM: 'Shipshape <no-reply@shipshape.test>',
    PUBLIC_URL: production.url,
    S3_BUCKET: production.s3.bucket,
    // A line per request, as a deployment logs: accounts.spec.ts looks for tokens in them.
    LOG_LEVEL: 'info',
  },
  output: (name, line) => log.write(`${name} | ${line}\n`),
  caddyOutput: (line) => log.write(`caddy | ${line}\n`),
}).catch(async (error: unknown) => {
  await stopServices();
  throw error;
});

stopOnSignals({
  name: 'The production topology',
  logger,
  timeoutMs: config.shutdownGraceMs + 10_000,
  async close() {
    try {
      await topology.stop();
    } finally {
      await stopServices();
    }
  },
});
