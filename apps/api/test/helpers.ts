// Builds a real app against the run's throwaway database (see test/global-setup.ts).
import { loadConfig } from '@shipshape/config';
import { connectDatabase } from '@shipshape/db';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, inject } from 'vitest';
import { createApp, type AppDeps } from '../src/app';
import { createSessionStore } from '../src/session';

export function buildTestApp(env: Record<string, string> = {}, overrides: Partial<AppDeps> = {}) {
  const config = loadConfig({ AUTH_RATE_LIMIT: '1000', ...env });
  const { pool, db } = connectDatabase(inject('databaseUrl'), { max: 4 });
  afterAll(() => pool.end());
  return createApp({
    config,
    db,
    logger: pino({ level: 'silent' }),
    sessionStore: createSessionStore(pool, { prune: false }),
    readinessChecks: { database: () => pool.query('select 1') },
    ...overrides,
  });
}

/** What a staging or production deployment must set; the URLs are never dialled by these tests. */
export const deployedEnv = {
  DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
  REDIS_URL: 'redis://127.0.0.1:1',
  S3_BUCKET: 'unused',
  SESSION_SECRET: 'a-test-secret-that-is-long-enough-0123456789',
};

let counter = 0;
/** An email no other test uses, so tests never collide on the unique index. */
export const uniqueEmail = () => `user${Date.now()}-${counter++}@example.com`;

export const password = 'correct horse battery staple';

/** A cookie-keeping client, signed up as a fresh user. */
export async function signedUpAgent(app: ReturnType<typeof buildTestApp>) {
  const agent = request.agent(app);
  const email = uniqueEmail();
  await agent.post('/api/auth/register').send({ email, password }).expect(201);
  return { agent, email };
}

export function sessionCookie(response: request.Response): string | undefined {
  const cookies = response.headers['set-cookie'] as unknown as string[] | undefined;
  return cookies?.find((cookie) => cookie.startsWith('shipshape.sid='));
}
