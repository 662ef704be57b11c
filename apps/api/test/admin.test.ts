// The admin area over HTTP: who may enter, what an admin sees and changes, and the audit of it.
import { eq } from 'drizzle-orm';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { adminAudit, users } from '@shipshape/db';
import { useTestDatabase } from '@shipshape/db/testing';
import { buildTestApp, password, signedUpAgent } from './helpers';
import { upload } from './upload';

useTestDatabase();
const app = buildTestApp();
const { db } = app.deps;

/** A signed-in admin (made one as `pnpm user:promote` would, in the database). */
async function signedInAdmin() {
  const signedUp = await signedUpAgent(app);
  await db.update(users).set({ role: 'admin' }).where(eq(users.id, signedUp.userId));
  return signedUp;
}

async function signIn(email: string) {
  const agent = request.agent(app);
  await agent.post('/api/auth/login').send({ email, password }).expect(200);
  return agent;
}

const auditOf = (targetId: string) =>
  db.select().from(adminAudit).where(eq(adminAudit.targetId, targetId));

describe('who may enter', () => {
  it('refuses a signed-out visitor with 401 and a signed-in user with 403', async () => {
    const anonymous = await request(app).get('/api/admin/users').expect(401);
    expect(anonymous.body.error.code).toBe('unauthenticated');
    const { agent } = await signedUpAgent(app);
    const user = await agent.get('/api/admin/users').expect(403);
    expect(user.body.error.code).toBe('admin_only');
  });

  it('reads the role at every request: a demoted admin is refused at the next one', async () => {
    const { agent, userId } = await signedInAdmin();
    await agent.get('/api/admin/users').expect(200);
    expect((await agent.get('/api/auth/session')).body.user.role).toBe('admin');
    await db.update(users).set({ role: 'user' }).where(eq(users.id, userId));
    expect((await agent.get('/api/admin/users').expect(403)).body.error.code).toBe('admin_only');
  });
});

describe('the list of users', () => {
  it('shows what each account holds, whether it is verified, and when it last signed in', async () => {
    const admin = await signedInAdmin();
    const { agent, email, userId } = await signedUpAgent(app);
    await agent.post('/api/notes').send({ title: 'one' }).expect(201);
    await agent.post('/api/notes').send({ title: 'two' }).expect(201);
    await upload(agent, { name: 'hello.txt', bytes: Buffer.from('hello') });

    const res = await admin.agent.get('/api/admin/users').query({ q: email }).expect(200);
    expect(res.body).toEqual({
      users: [
        {
          id: userId,
          email,
          role: 'user',
          emailVerified: false,
          disabledAt: null,
          lastSignInAt: expect.any(String),
          createdAt: expect.any(String),
          notes: 2,
          files: 1,
          bytes: 5,
        },
      ],
      nextCursor: null,
    });
    const one = await admin.agent.get(`/api/admin/users/${userId}`).expect(200);
    expect(one.body.user).toEqual(res.body.users[0]);
  });

  it('searches by part of the address, taking % and _ as themselves', async () => {
    const admin = await signedInAdmin();
    const { email } = await signedUpAgent(app);
    const part = email.slice(2, 12).toUpperCase();
    const found = await admin.agent.get('/api/admin/users').query({ q: part }).expect(200);
    expect(found.body.users.map((user: { email: string }) => user.email)).toContain(email);
    const wildcard = await admin.agent.get('/api/admin/users').query({ q: '%' }).expect(200);
    expect(wildcard.body.users).toEqual([]);
  });

  it('pages newest first with a cursor', async () => {
    const admin = await signedInAdmin();
    await signedUpAgent(app);
    const first = await admin.agent.get('/api/admin/users').query({ limit: 1 }).expect(200);
    expect(first.body.users).toHaveLength(1);
    const second = await admin.agent
      .get('/api/admin/users')
      .query({ limit: 1, cursor: first.body.nextCursor })
      .expect(200);
    expect(second.body.users[0].id).not.toBe(first.body.users[0].id);
    expect(second.body.users[0].createdAt <= first.body.users[0].createdAt).toBe(true);
  });

  it('answers 404 for an id that names no user', async () => {
    const admin = await signedInAdmin();
    await admin.agent.get('/api/admin/users/not-a-uuid').expect(404);
    await admin.agent.post(`/api/admin/users/${crypto.randomUUID()}/disable`).expect(404);
  });
});

describe('disabling a user', () => {
  it('ends their open sessions at once and refuses their sign-in with a clear 403', async () => {
    const admin = await signedInAdmin();
    const { agent, email, userId } = await signedUpAgent(app);
    const other = await signIn(email);
    await agent.get('/api/auth/me').expect(200);

    const res = await admin.agent
      .post(`/api/admin/users/${userId}/disable`)
      .set('User-Agent', 'admin-browser')
      .expect(200);
    expect(res.body.user).toMatchObject({ id: userId, disabledAt: expect.any(String) });

    for (const session of [agent, other]) {
      const me = await session.get('/api/auth/me').expect(401);
      expect(me.body.error.code).toBe('unauthenticated');
    }
    const refused = await request(app)
      .post('/api/auth/login')
      .send({ email, password })
      .expect(403);
    expect(refused.body.error.code).toBe('account_disabled');
    const wrong = await request(app)
      .post('/api/auth/login')
      .send({ email, password: 'not the password at all' })
      .expect(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');

    expect(await auditOf(userId)).toEqual([
      expect.objectContaining({
        actorId: admin.userId,
        actor: admin.email,
        action: 'disable',
        targetEmail: email,
        details: { sessionsEnded: 2 },
        clientIp: expect.stringMatching(/127\.0\.0\.1/),
        userAgent: 'admin-browser',
      }),
    ]);
  });

  it('refuses a session of a disabled user even when its row is still there', async () => {
    const { agent, userId } = await signedUpAgent(app);
    await db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, userId));
    await agent.get('/api/auth/me').expect(401);
  });

  it('lets them sign in again once enabled', async () => {
    const admin = await signedInAdmin();
    const { email, userId } = await signedUpAgent(app);
    await admin.agent.post(`/api/admin/users/${userId}/disable`).expect(200);
    const res = await admin.agent.post(`/api/admin/users/${userId}/enable`).expect(200);
    expect(res.body.user.disabledAt).toBeNull();
    await (await signIn(email)).get('/api/auth/me').expect(200);
    const actions = (await auditOf(userId)).map((entry) => entry.action).sort();
    expect(actions).toEqual(['disable', 'enable']);
  });
});

describe('signing a user out everywhere', () => {
  it('ends every session of theirs, and they may sign in again', async () => {
    const admin = await signedInAdmin();
    const { agent, email, userId } = await signedUpAgent(app);
    await admin.agent.post(`/api/admin/users/${userId}/sign-out`).expect(200);
    await agent.get('/api/auth/me').expect(401);
    await (await signIn(email)).get('/api/auth/me').expect(200);
    const [entry] = await auditOf(userId);
    expect(entry).toMatchObject({ action: 'sign-out', details: { sessionsEnded: 1 } });
  });
});

describe('promoting and demoting', () => {
  it('opens the admin area to a promoted user and closes it again on demotion', async () => {
    const admin = await signedInAdmin();
    const { agent, userId } = await signedUpAgent(app);
    const promoted = await admin.agent.post(`/api/admin/users/${userId}/promote`).expect(200);
    expect(promoted.body.user.role).toBe('admin');
    await agent.get('/api/admin/users').expect(200);
    await admin.agent.post(`/api/admin/users/${userId}/demote`).expect(200);
    await agent.get('/api/admin/users').expect(403);
  });

  it('refuses to let an admin disable or demote their own account', async () => {
    const admin = await signedInAdmin();
    for (const action of ['disable', 'demote']) {
      const res = await admin.agent.post(`/api/admin/users/${admin.userId}/${action}`).expect(409);
      expect(res.body.error.code).toBe('own_account');
    }
    await admin.agent.get('/api/admin/users').expect(200);
    expect(await auditOf(admin.userId)).toEqual([]);
  });

  it('never removes the last active admin, even when two admins demote each other at once', async () => {
    // Every other admin of this file's database steps down first: these two are the only ones.
    await db.update(users).set({ role: 'user' }).where(eq(users.role, 'admin'));
    const a = await signedInAdmin();
    const b = await signedInAdmin();
    const [byA, byB] = await Promise.all([
      a.agent.post(`/api/admin/users/${b.userId}/demote`),
      b.agent.post(`/api/admin/users/${a.userId}/demote`),
    ]);
    expect([byA.status, byB.status].sort()).toEqual([200, 403]);
    const loser = byA.status === 403 ? byA : byB;
    expect(loser.body.error.code).toBe('admin_only');
    const admins = await db.select({ id: users.id }).from(users).where(eq(users.role, 'admin'));
    expect(admins).toHaveLength(1);
  });
});

describe('the audit page', () => {
  it('lists every admin action newest first, paged', async () => {
    const admin = await signedInAdmin();
    const { userId, email } = await signedUpAgent(app);
    await admin.agent.post(`/api/admin/users/${userId}/promote`).expect(200);
    await admin.agent.post(`/api/admin/users/${userId}/demote`).expect(200);

    const first = await admin.agent.get('/api/admin/audit').query({ limit: 1 }).expect(200);
    expect(first.body.entries).toEqual([
      {
        id: expect.any(String),
        action: 'demote',
        actorId: admin.userId,
        actor: admin.email,
        targetId: userId,
        targetEmail: email,
        details: { from: 'admin' },
        clientIp: expect.any(String),
        userAgent: null,
        createdAt: expect.any(String),
      },
    ]);
    const next = await admin.agent
      .get('/api/admin/audit')
      .query({ limit: 1, cursor: first.body.nextCursor })
      .expect(200);
    expect(next.body.entries[0]).toMatchObject({ action: 'promote', targetId: userId });
  });
});

// A disabled admin is signed out like anyone: no session of theirs is read.
it('refuses a disabled admin with 401', async () => {
  const admin = await signedInAdmin();
  await db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, admin.userId));
  await admin.agent.get('/api/admin/users').expect(401);
});
