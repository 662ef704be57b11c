// Builds a real app against the test file's own database (useTestDatabase, called at the
// file's top) and the run's S3 bucket (see test/global-setup.ts).
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@shipshape/config';
import { connectDatabase } from '@shipshape/db';
import { releaseWhenDone, testDatabaseUrl } from '@shipshape/db/testing';
import { createInProcessQueue } from '@shipshape/queue';
import { createJobHandlers } from '@shipshape/jobs';
import { createMailer } from '@shipshape/mail';
import { linkIn, mailbox } from '@shipshape/mail/testing';
import { createStorage } from '@shipshape/storage';
import { pino } from 'pino';
import request from 'supertest';
import { inject } from 'vitest';
import { createApp, type AppDeps } from '../src/app';
import { createPostgresAttemptCounter } from '../src/auth/attempts/postgres';
import { SIGN_IN_WINDOW_MS } from '../src/auth/throttle';
import { createSessionStore, SESSION_COOKIE } from '../src/session';

/** An app for the tests of the describe or test that builds it, released after them. */
export function buildTestApp(env: Record<string, string> = {}, overrides: Partial<AppDeps> = {}) {
  // Mail goes to the run's catcher (test/global-setup.ts), where mailbox() reads it.
  const config = loadConfig({ AUTH_RATE_LIMIT: '1000', SMTP_URL: inject('mail').smtpUrl, ...env });
  const { pool, db } = connectDatabase(testDatabaseUrl(), { max: 4 });
  const storage = createStorage(inject('s3'));
  const logger = pino({ level: 'silent' });
  // The real job handlers, run in this process: uploads get thumbnails here too.
  const jobs = { ...config.jobs, attempts: 2, backoffMs: 10 };
  const mailer = createMailer(config.mail);
  const queue = createInProcessQueue({
    handlers: createJobHandlers({
      db,
      storage,
      logger,
      jobs,
      mail: { mailer, publicUrl: config.publicUrl },
    }),
    retry: jobs,
  });
  releaseWhenDone(async () => {
    await queue.close();
    await pool.end();
    storage.close();
    mailer.close();
  });
  const deps: AppDeps = {
    config,
    db,
    logger,
    storage,
    queue,
    sessionStore: createSessionStore(pool, { prune: false }),
    readinessChecks: { database: () => pool.query('select 1') },
    // Each app counts failed sign-ins apart: the apps of one test file share its database.
    attempts: createPostgresAttemptCounter(db, {
      windowMs: SIGN_IN_WINDOW_MS,
      prefix: `${randomUUID()}:`,
    }),
    ...overrides,
  };
  return Object.assign(createApp(deps), { deps });
}

/** What a staging or production deployment must set; the URLs are never dialled by these tests. */
export const deployedEnv = {
  DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
  REDIS_URL: 'redis://127.0.0.1:1',
  S3_BUCKET: 'unused',
  SESSION_SECRET: 'a-test-secret-that-is-long-enough-0123456789',
  PUBLIC_URL: 'https://shipshape.example.com',
  SMTP_URL: 'smtp://127.0.0.1:1',
  MAIL_FROM: 'Shipshape <no-reply@shipshape.example.com>',
};

let counter = 0;
/** An email no other test uses, so tests never collide on the unique index. */
export const uniqueEmail = () => `user${Date.now()}-${counter++}@example.com`;

export const password = 'correct horse battery staple';

/** A cookie-keeping client, signed up as a fresh user. */
export async function signedUpAgent(app: ReturnType<typeof buildTestApp>) {
  const agent = request.agent(app);
  const email = uniqueEmail();
  const res = await agent.post('/api/auth/register').send({ email, password }).expect(201);
  return { agent, email, userId: res.body.user.id as string };
}

/** The run's mail catcher, as a person's inbox. */
export const inbox = () => mailbox(inject('mail').webUrl);

/** The token of the newest mail to `to` whose subject matches, read from its link's fragment. */
export async function mailedToken(to: string, subject: RegExp): Promise<string> {
  const link = linkIn(await inbox().waitFor({ to, subject }));
  return new URL(link).hash.replace(/^#[a-z-]+=/, '');
}

export function sessionCookie(response: request.Response): string | undefined {
  const cookies = response.headers['set-cookie'] as unknown as string[] | undefined;
  return cookies?.find((cookie) => cookie.startsWith(`${SESSION_COOKIE}=`));
}
