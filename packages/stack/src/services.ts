// What a stack's processes talk to: Postgres, S3, a mail catcher and Redis, each either given or
// started here, with the environment that points the API and the workers at them. Whatever is
// started here is stopped (and a database made here dropped) by the cleanups it registers.
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@shipshape/config';
import { connectDatabase, migrateDatabase } from '@shipshape/db';
import { createEmptyDatabase } from '@shipshape/db/databases';
import { startEmbeddedPostgres } from '@shipshape/db/embedded';
import { startMailCatcher } from '@shipshape/mail/catcher';
import { deleteKeysWithPrefix } from '@shipshape/queue';
import { createStorage } from '@shipshape/storage';
import { embeddedS3Env, startEmbeddedS3, type S3Server } from '@shipshape/storage/embedded';
import { migrateWithBundle } from './bundles';
import type { Code } from './processes';

export interface ServiceOptions {
  /**
   * Postgres: this database as it is (`url`), a database of the stack's own made on a server
   * and dropped at stop (`server`), or PGlite embedded here, kept in `dataDir` when given.
   * Migrated either way, by the code the stack runs.
   */
  postgres: { url: string } | { server: string } | { embedded: { dataDir?: string } };
  /** A Redis server: the stack's keys go under a prefix of its own, deleted at stop. */
  redis?: string;
  /**
   * S3: a server the caller owns and stops (s3rver, addressed by path), or s3rver embedded
   * here, on `port` and kept in `dataDir` when given.
   */
  s3?: S3Server | { embedded: { port?: number; dataDir?: string } };
  /** The bucket's name; default shipshape-<name>-<run id>. */
  bucket?: string;
  /**
   * A mail catcher, its inbox page on `webPort` (default a free port; with `elsewhereIfTaken`,
   * a free one when that port is taken).
   */
  mail?: { webPort?: number; elsewhereIfTaken?: boolean };
}

interface Context {
  bucket: string;
  redisPrefix: string;
  /** Origins the page PUTs upload parts from, straight to an embedded S3 server. */
  corsOrigins?: string[];
  cleanups: (() => Promise<unknown>)[];
  progress: (line: string) => void;
}

export interface Services {
  env: Record<string, string>;
  mailUrl?: string;
  /** Whether the bucket is still to be made (an embedded server with CORS makes its own). */
  bucketToMake: boolean;
}

export async function startServices(options: ServiceOptions, context: Context): Promise<Services> {
  const env: Record<string, string> = {
    DATABASE_URL: await startPostgres(options.postgres, context),
  };
  let bucketToMake = false;
  if (options.s3) {
    Object.assign(env, await startS3(options.s3, context), { S3_BUCKET: context.bucket });
    bucketToMake = !('embedded' in options.s3 && context.corsOrigins);
  }
  let mailUrl: string | undefined;
  if (options.mail) {
    const catcher = await startCatcher(options.mail, context);
    env.SMTP_URL = catcher.smtpUrl;
    mailUrl = catcher.webUrl;
  }
  if (options.redis) {
    const { redis } = options;
    env.REDIS_URL = redis;
    env.REDIS_PREFIX = context.redisPrefix;
    context.cleanups.push(() => deleteKeysWithPrefix(redis, context.redisPrefix));
  }
  return { env, mailUrl, bucketToMake };
}

async function startPostgres(
  postgres: ServiceOptions['postgres'],
  { cleanups, progress }: Context,
): Promise<string> {
  if ('url' in postgres) return postgres.url;
  if ('server' in postgres) {
    progress('Creating a database of its own on the Postgres server ...');
    const database = await createEmptyDatabase(postgres.server);
    cleanups.push(() => database.drop());
    return database.url;
  }
  const { dataDir } = postgres.embedded;
  progress(`Starting embedded Postgres${dataDir ? ` (data in ${dataDir})` : ''} ...`);
  const embedded = await startEmbeddedPostgres({ dataDir });
  cleanups.push(() => embedded.stop());
  return embedded.url;
}

async function startS3(
  s3: NonNullable<ServiceOptions['s3']>,
  { bucket, corsOrigins, cleanups, progress }: Context,
): Promise<Record<string, string>> {
  if (!('embedded' in s3)) return embeddedS3Env(s3);
  const { port, dataDir } = s3.embedded;
  progress(`Starting embedded S3 server${dataDir ? ` (data in ${dataDir})` : ''} ...`);
  const server = await startEmbeddedS3({
    port,
    dataDir,
    cors: corsOrigins && { bucket, origins: corsOrigins },
  });
  cleanups.push(() => server.stop());
  return embeddedS3Env(server);
}

async function startCatcher(
  { webPort, elsewhereIfTaken }: NonNullable<ServiceOptions['mail']>,
  { cleanups, progress }: Context,
) {
  progress('Starting a mail catcher (mail is kept in memory, never delivered) ...');
  const catcher = await startMailCatcher({ webPort }).catch((error: unknown) => {
    if (elsewhereIfTaken) return startMailCatcher();
    throw error;
  });
  cleanups.push(() => catcher.stop());
  return catcher;
}

/** What a deployment sets beyond its services: secrets, and where mail and its links go. */
export function deploymentEnv(): Record<string, string> {
  return {
    // Made here, as an operator would: `openssl rand -base64 48`.
    SESSION_SECRET: randomBytes(48).toString('base64'),
    // Where links in mail point, and where mail goes: nowhere, unless the caller says.
    PUBLIC_URL: 'https://localhost',
    SMTP_URL: 'smtp://127.0.0.1:1',
    MAIL_FROM: 'Shipshape <no-reply@localhost>',
    // Caddy connects from loopback; the API believes its X-Forwarded-* and nobody else's.
    TRUST_PROXY: 'loopback',
    LOG_LEVEL: 'warn',
  };
}

/** Migrates the database as the code runs it: the bundle's release step, or in this process. */
export async function migrate(code: Code, env: Record<string, string>): Promise<void> {
  if (code === 'bundles') return migrateWithBundle(env);
  const { pool, db } = connectDatabase(env.DATABASE_URL ?? '', { max: 1 });
  try {
    await migrateDatabase(db);
  } finally {
    await pool.end();
  }
}

/** Makes the bucket, as the compose files' one-shot service does. */
export async function makeBucket(env: Record<string, string>): Promise<void> {
  const storage = createStorage(loadConfig(env).s3);
  try {
    await storage.ensureBucket();
  } finally {
    storage.close();
  }
}
