// Runs once before all test files and gives them real services of their own:
// - Postgres: a migrated template (on DATABASE_URL's server when given, else an embedded dump)
//   that each test file copies into a database of its own (useTestDatabase), dropped at the end;
// - S3: the server at S3_ENDPOINT when given, else an embedded one, with a bucket for this run;
// - Redis: REDIS_URL (or the default local port) with a key prefix for this run; when no Redis
//   answers, tests that need BullMQ skip with a notice and the in-process queue is tested alone;
// - mail: a catcher for this run; tests send to its smtpUrl and read with mailbox(webUrl), each
//   to addresses of its own (the mailbox is shared: never clear() it).
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@shipshape/config';
import { createDatabaseTemplate } from '@shipshape/db/testing';
import { startMailCatcher } from '@shipshape/mail/catcher';
import { deleteKeysWithPrefix } from '@shipshape/queue';
import { createStorage } from '@shipshape/storage';
import { startEmbeddedS3 } from '@shipshape/storage/embedded';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';

export interface TestS3 {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  checksumMode: 'when_required' | 'when_supported';
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3: TestS3;
    /** Undefined when no Redis answered: BullMQ tests skip. */
    redisUrl: string | undefined;
    redisPrefix: string;
    /** The run's mail catcher: SMTP_URL for the app, and where mailbox() reads. */
    mail: { smtpUrl: string; webUrl: string };
  }
}

export default async function setup(project: TestProject) {
  const config = loadConfig();
  const runId = randomBytes(4).toString('hex');

  const database = await createDatabaseTemplate(config.databaseUrl, runId);
  project.provide('databaseTemplate', database.template);

  const embeddedS3 = config.s3.endpoint ? undefined : await startEmbeddedS3();
  const s3: TestS3 = {
    endpoint: config.s3.endpoint ?? embeddedS3?.endpoint ?? '',
    region: config.s3.region,
    bucket: `shipshape-test-${runId}`,
    accessKeyId: config.s3.accessKeyId ?? embeddedS3?.accessKeyId ?? '',
    secretAccessKey: config.s3.secretAccessKey ?? embeddedS3?.secretAccessKey ?? '',
    forcePathStyle: true,
    checksumMode: config.s3.checksumMode,
  };
  await createStorage(s3).ensureBucket();
  project.provide('s3', s3);

  const redisUrl = config.redis.url ?? 'redis://127.0.0.1:6379';
  const redisPrefix = `shipshape-test-${runId}`;
  const redisAnswers = await pingRedis(redisUrl);
  if (!redisAnswers) {
    console.warn(`\n  NOTICE: no Redis at ${redisUrl}: BullMQ tests are skipped.\n`);
  }
  project.provide('redisUrl', redisAnswers ? redisUrl : undefined);
  project.provide('redisPrefix', redisPrefix);

  const mail = await startMailCatcher();
  project.provide('mail', { smtpUrl: mail.smtpUrl, webUrl: mail.webUrl });

  return async () => {
    await database.drop();
    await embeddedS3?.stop();
    await mail.stop();
    if (redisAnswers) await deleteKeysWithPrefix(redisUrl, redisPrefix);
  };
}

async function pingRedis(url: string): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  redis.on('error', () => {}); // the failed connect below is the answer, not an error to print
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
