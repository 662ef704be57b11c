// The app as the end-to-end tests see it: the real API process serving the real frontend, on a
// throwaway database (on DATABASE_URL's server when set, else embedded), with an S3 server and a
// mail catcher of its own at the addresses the specs read them at (local in e2e/topology.ts).
// With REDIS_URL the real worker process runs the jobs under a key prefix of its own; without it
// the API runs them in-process. Stopped (Playwright sends SIGTERM), it stops the API and the
// worker and removes everything.
import { randomBytes } from 'node:crypto';
import { loadConfigOrExit } from '@shipshape/config';
import { createTestDatabase } from '@shipshape/db/testing';
import { spawnTs, stopAll, stopOnSignals, type TsProcess } from '@shipshape/lifecycle';
import { createLogger } from '@shipshape/logger';
import { startMailCatcher } from '@shipshape/mail/catcher';
import { deleteKeysWithPrefix } from '@shipshape/queue';
import { embeddedS3Env, startEmbeddedS3 } from '@shipshape/storage/embedded';
import { local } from './topology';

const config = loadConfigOrExit();
const logger = createLogger(config, 'e2e');
const runId = randomBytes(4).toString('hex');
const database = await createTestDatabase(config.databaseUrl);
// The page PUTs upload parts to this server itself, from the app's origin: its bucket allows that.
const s3 = await startEmbeddedS3({
  port: Number(new URL(local.s3.endpoint).port),
  cors: { bucket: local.s3.bucket, origins: [local.url] },
});
const mail = await startMailCatcher({ webPort: Number(new URL(local.mailUrl).port) });

const redisPrefix = `shipshape-e2e-${runId}`;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  APP_ENV: 'local',
  DATABASE_URL: database.url,
  ...embeddedS3Env(s3),
  S3_BUCKET: local.s3.bucket,
  REDIS_PREFIX: redisPrefix,
  SMTP_URL: mail.smtpUrl,
  // Links in mail lead where the browser opens the app.
  PUBLIC_URL: local.url,
  // The tests sign in and out many times from one address.
  AUTH_RATE_LIMIT: '1000',
};

const children: TsProcess[] = [spawnTs('apps/api/src/server.ts', { env })];
if (config.redis.url) children.push(spawnTs('apps/worker/src/main.ts', { env }));

const stop = stopOnSignals({
  name: 'The end-to-end server',
  logger,
  // The children end themselves within their own grace period; this only catches one that hangs.
  timeoutMs: config.shutdownGraceMs + 5_000,
  async close() {
    try {
      await stopAll(children);
    } finally {
      await database.drop();
      await s3.stop();
      await mail.stop();
      if (config.redis.url) await deleteKeysWithPrefix(config.redis.url, redisPrefix);
    }
  },
});
for (const child of children) {
  void child.exited.then(() => {
    stop(`${child.entry} exited`);
  });
}
