// The session middleware (src/session.ts) makes express-session's decisions with less work: these
// are those decisions, watched at the store. A request that changes nothing writes nothing and
// sends no cookie; signing in saves once and sends a new id; a cookie that is not ours is no
// session at all.
import { connectDatabase } from '@shipshape/db';
import { releaseWhenDone, testDatabaseUrl, useTestDatabase } from '@shipshape/db/testing';
import request from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSessionStore, SESSION_COOKIE } from '../src/session';
import { buildTestApp, deployedEnv, password, sessionCookie, uniqueEmail } from './helpers';

useTestDatabase();

const { pool } = connectDatabase(testDatabaseUrl(), { max: 2 });
releaseWhenDone(() => pool.end());

/** An app whose store counts what it is asked to write. */
function countingApp(env: Record<string, string> = {}) {
  const store = createSessionStore(pool, { prune: false });
  const writes: string[] = [];
  const set = store.set.bind(store);
  const destroy = store.destroy.bind(store);
  store.set = (sid, data, done) => {
    writes.push(`set ${sid}`);
    set(sid, data, done);
  };
  store.destroy = (sid, done) => {
    writes.push(`destroy ${sid}`);
    destroy(sid, done);
  };
  return { app: buildTestApp(env, { sessionStore: store }), writes };
}

const sidOf = (cookie: string) =>
  /^s:([^.]+)\./.exec(decodeURIComponent(cookie.split(';')[0]?.split('=')[1] ?? ''))?.[1];

describe('the session middleware', () => {
  let app: ReturnType<typeof buildTestApp>;
  let writes: string[];
  beforeEach(() => {
    ({ app, writes } = countingApp());
  });

  it('gives a visitor no cookie and writes nothing', async () => {
    const res = await request(app).get('/api/auth/session').expect(200);
    expect(res.body).toEqual({ user: null });
    expect(sessionCookie(res)).toBeUndefined();
    expect(writes).toEqual([]);
  });

  it('saves the new session on sign-up, with the device it began on, and sends its id signed', async () => {
    const res = await request(app)
      .post('/api/auth/register')
      .send({ email: uniqueEmail(), password })
      .expect(201);
    const cookie = sessionCookie(res) ?? '';
    const sid = sidOf(cookie);
    expect(sid).toMatch(/^[\w-]{32}$/);
    // Saved by the sign-in, then again once the device is recorded on it (auth/routes.ts); the
    // visitor's empty session, never saved, is destroyed by the id's change.
    expect(writes.filter((write) => write.startsWith('set'))).toEqual([`set ${sid}`, `set ${sid}`]);
    const { rows } = await pool.query<{ sess: { passport: unknown; device: unknown } }>(
      'select sess from sessions where sid = $1',
      [sid],
    );
    expect(rows[0]?.sess.passport).toEqual({
      user: { id: res.body.user.id, email: res.body.user.email },
    });
    expect(rows[0]?.sess.device).toBeDefined();
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
  });

  it('reads the session on later requests without writing it or sending the cookie again', async () => {
    const agent = request.agent(app);
    await agent.post('/api/auth/register').send({ email: uniqueEmail(), password }).expect(201);
    writes.length = 0;
    for (let i = 0; i < 3; i++) {
      const res = await agent.get('/api/notes').expect(200);
      expect(sessionCookie(res)).toBeUndefined();
    }
    expect(writes).toEqual([]);
  });

  it('gives a new id on sign-in, ending the one the visitor came with', async () => {
    const email = uniqueEmail();
    const first = await request(app).post('/api/auth/register').send({ email, password });
    const before = sidOf(sessionCookie(first) ?? '');
    const res = await request(app)
      .post('/api/auth/login')
      .set('Cookie', (sessionCookie(first) ?? '').split(';')[0] ?? '')
      .send({ email, password })
      .expect(200);
    const after = sidOf(sessionCookie(res) ?? '');
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    expect(writes).toContain(`destroy ${before}`);
  });

  it('treats a cookie that is not signed with the secret as no session', async () => {
    const agent = request.agent(app);
    const res = await agent.post('/api/auth/register').send({ email: uniqueEmail(), password });
    const sid = sidOf(sessionCookie(res) ?? '') ?? '';
    const forgeries = [
      `${SESSION_COOKIE}=${sid}`, // unsigned
      `${SESSION_COOKIE}=s%3A${sid}.AAAA`, // a signature that is not ours
      `${SESSION_COOKIE}=s%3A${sid}`, // none at all
      `${SESSION_COOKIE}=s%3A`, // nothing
      `${SESSION_COOKIE}=s%3A${sid}.%E0%A4%A`, // not even percent-encoding
      `${SESSION_COOKIE}=s%3A${'x'.repeat(4_000)}.${'y'.repeat(40)}`, // long
    ];
    for (const cookie of forgeries) {
      await request(app).get('/api/auth/me').set('Cookie', cookie).expect(401);
    }
  });

  it('never sends the Secure cookie over plain http in a deployment', async () => {
    const deployed = countingApp({ APP_ENV: 'staging', ...deployedEnv, TRUST_PROXY: 'loopback' });
    const email = uniqueEmail();
    const plain = await request(deployed.app)
      .post('/api/auth/register')
      .send({ email, password })
      .expect(201);
    expect(sessionCookie(plain)).toBeUndefined();
    const https = await request(deployed.app)
      .post('/api/auth/login')
      .set('X-Forwarded-Proto', 'https')
      .send({ email, password })
      .expect(200);
    expect(sessionCookie(https)).toMatch(/; Secure/);
  });
});
