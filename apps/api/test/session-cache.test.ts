// Two replicas of the API, each keeping recent sessions in memory (src/session-cache.ts), on one
// database. Whatever ends a session, on whichever replica or in SQL, the other stops honouring
// it at its next request; and while a replica cannot hear the database, it reads every session.
import { connectDatabase } from '@shipshape/db';
import { releaseWhenDone, testDatabaseUrl, useTestDatabase } from '@shipshape/db/testing';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { createSessionStore } from '../src/session';
import { startSessionCache, type SessionCache } from '../src/session-cache';
import { buildTestApp, password, sessionCookie, uniqueEmail } from './helpers';

useTestDatabase();

function replica() {
  const { pool } = connectDatabase(testDatabaseUrl(), { max: 2 });
  const cache = startSessionCache({
    databaseUrl: testDatabaseUrl(),
    pool,
    logger: pino({ level: 'silent' }),
  });
  releaseWhenDone(async () => {
    await cache.close();
    await pool.end();
  });
  const app = buildTestApp({}, { sessionStore: createSessionStore(pool, { prune: false, cache }) });
  return { app, cache };
}

const a = replica();
const b = replica();
const { pool: sql } = connectDatabase(testDatabaseUrl(), { max: 1 });
releaseWhenDone(() => sql.end());

async function hearing(cache: SessionCache) {
  await vi.waitFor(() => expect(cache.hearing()).toBe(true), { timeout: 5_000 });
}

/** Signs up on replica A; the session is then read, and kept, by replica B. */
async function signedInOnBoth() {
  await Promise.all([hearing(a.cache), hearing(b.cache)]);
  const res = await request(a.app)
    .post('/api/auth/register')
    .send({ email: uniqueEmail(), password })
    .expect(201);
  const cookie = sessionCookie(res) ?? '';
  await me(b.app, cookie).expect(200);
  return { cookie, userId: res.body.user.id as string, sid: sidOf(cookie) };
}

const me = (app: ReturnType<typeof buildTestApp>, cookie: string) =>
  request(app).get('/api/auth/me').set('Cookie', cookie);

/**
 * A change reaches the other replica as a notice from Postgres, a few milliseconds after its
 * commit: the replica refuses the session from then on, not necessarily at the very next request.
 */
const refusedSoon = (app: ReturnType<typeof buildTestApp>, cookie: string) =>
  vi.waitFor(() => me(app, cookie).expect(401), { timeout: 2_000, interval: 20 });

function sidOf(cookie: string): string {
  const value = decodeURIComponent(cookie.split(';')[0]?.split('=')[1] ?? '');
  return /^s:([^.]+)\./.exec(value)?.[1] ?? '';
}

describe('sessions kept in memory by each replica', () => {
  it('serves a session from memory: a row gone without a notice is still honoured', async () => {
    const { cookie, sid } = await signedInOnBoth();
    // Triggers off for this one statement: the deletion no replica can hear, which is why every
    // change to sessions and users goes through the triggers of migration 0008.
    const client = await sql.connect();
    try {
      await client.query("set session_replication_role = 'replica'");
      await client.query('delete from sessions where sid = $1', [sid]);
    } finally {
      await client.query("set session_replication_role = 'origin'");
      client.release();
    }
    await me(b.app, cookie).expect(200);
    await me(a.app, cookie).expect(401); // A never read it, so it asks the database
  });

  it('refuses a session signed out on the other replica once the notice arrives', async () => {
    const { cookie } = await signedInOnBoth();
    await request(a.app).post('/api/auth/logout').set('Cookie', cookie).expect(204);
    await refusedSoon(b.app, cookie);
  });

  it('refuses a session whose row is deleted in SQL, as "sign out everywhere else" does', async () => {
    const { cookie, sid } = await signedInOnBoth();
    await sql.query('delete from sessions where sid = $1', [sid]);
    await refusedSoon(b.app, cookie);
  });

  it('refuses every session of a user who changes: here, one being deleted', async () => {
    const { cookie, userId } = await signedInOnBoth();
    await sql.query('update users set deleted_at = now() where id = $1', [userId]);
    await refusedSoon(b.app, cookie);
  });

  it('refuses every session of a user an admin disables, on every replica', async () => {
    const { cookie, userId } = await signedInOnBoth();
    // Only the flag, not the sessions' rows: the user's notice alone must end the kept copies.
    await sql.query('update users set disabled_at = now() where id = $1', [userId]);
    await refusedSoon(b.app, cookie);
    await me(a.app, cookie).expect(401);
  });

  it('reads every session from the database while it cannot hear it, and listens again', async () => {
    const { cookie, sid } = await signedInOnBoth();
    await sql.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
       where datname = current_database() and query = 'LISTEN session_changes'`,
    );
    await vi.waitFor(() => expect(b.cache.hearing()).toBe(false));
    // Unheard by anyone now; B must not answer from what it kept.
    await sql.query('delete from sessions where sid = $1', [sid]);
    await me(b.app, cookie).expect(401);

    await hearing(b.cache);
    const again = await signedInOnBoth();
    await sql.query('delete from sessions where sid = $1', [again.sid]);
    await refusedSoon(b.app, again.cookie);
  });
});
