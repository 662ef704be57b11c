// The account flows over HTTP, with the mail read from the run's catcher as a person would.
import { eq, sql } from 'drizzle-orm';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { accountTokens, emails, users } from '@shipshape/db';
import { useTestDatabase } from '@shipshape/db/testing';
import { userPrefix } from '@shipshape/storage';
import { buildTestApp, inbox, mailedToken, password, signedUpAgent, uniqueEmail } from './helpers';
import { upload } from './upload';

useTestDatabase();
const app = buildTestApp();
const { db, storage, config } = app.deps;

const VERIFY = /Confirm your email address/;
const RESET = /Reset your Shipshape password/;

async function signIn(email: string, guess = password) {
  const agent = request.agent(app);
  await agent.post('/api/auth/login').send({ email, password: guess }).expect(200);
  return agent;
}

describe('verifying the address', () => {
  it('mails a link to the site, not to the request, that verifies the address once', async () => {
    const { agent, email } = await signedUpAgent(app);
    const mail = await inbox().waitFor({ to: email, subject: VERIFY });
    expect(mail.Text).toContain(`${config.publicUrl}/#verify-email=`);
    const token = await mailedToken(email, VERIFY);

    const res = await request(app).post('/api/auth/verify-email').send({ token }).expect(200);
    expect(res.body.user).toMatchObject({ email, emailVerified: true });
    expect((await agent.get('/api/auth/session')).body.user.emailVerified).toBe(true);

    const again = await request(app).post('/api/auth/verify-email').send({ token }).expect(400);
    expect(again.body.error.code).toBe('link_used');
  });

  it('says a link is expired, unknown or malformed, each in its own words', async () => {
    const { email } = await signedUpAgent(app);
    const token = await mailedToken(email, VERIFY);
    await db
      .update(accountTokens)
      .set({ expiresAt: sql`now() - interval '1 minute'` })
      .where(eq(accountTokens.purpose, 'verify-email'));
    const expired = await request(app).post('/api/auth/verify-email').send({ token });
    expect(expired.body.error.code).toBe('link_expired');

    const unknown = 'A'.repeat(43);
    const guessed = await request(app).post('/api/auth/verify-email').send({ token: unknown });
    expect([guessed.status, guessed.body.error.code]).toEqual([400, 'link_invalid']);
    const mangled = await request(app).post('/api/auth/verify-email').send({ token: 'x<y>' });
    expect([mangled.status, mangled.body.error.code]).toEqual([400, 'link_invalid']);
  });

  it('sends a new link on request, and only the newest one works', async () => {
    const { agent, email } = await signedUpAgent(app);
    const first = await mailedToken(email, VERIFY);
    await agent.post('/api/auth/verify-email/resend').expect(202);
    await vi.waitFor(async () =>
      expect(await inbox().count({ to: email, subject: VERIFY })).toBe(2),
    );
    const second = await mailedToken(email, VERIFY);
    expect(second).not.toBe(first);

    const old = await request(app).post('/api/auth/verify-email').send({ token: first });
    expect(old.body.error.code).toBe('link_invalid');
    await request(app).post('/api/auth/verify-email').send({ token: second }).expect(200);
    const done = await agent.post('/api/auth/verify-email/resend').expect(409);
    expect(done.body.error.code).toBe('already_verified');
  });
});

describe('a forgotten password', () => {
  it('answers the same whether or not the address has an account, and mails only an account', async () => {
    const { email } = await signedUpAgent(app);
    const nobody = uniqueEmail();
    const known = await request(app).post('/api/auth/forgot-password').send({ email });
    const unknown = await request(app).post('/api/auth/forgot-password').send({ email: nobody });
    expect([known.status, known.body]).toEqual([unknown.status, unknown.body]);
    expect(known.status).toBe(202);

    await inbox().waitFor({ to: email, subject: RESET });
    await vi.waitFor(async () => {
      const [row] = await db.select().from(emails).where(eq(emails.toAddress, nobody));
      expect(row?.status).toBe('dropped');
    });
    expect(await inbox().count({ to: nobody })).toBe(0);
  });

  it('builds the link from PUBLIC_URL whatever Host or X-Forwarded-Host the request forges', async () => {
    const proxied = buildTestApp({ TRUST_PROXY: 'loopback' });
    const { email } = await signedUpAgent(proxied);
    await request(proxied)
      .post('/api/auth/forgot-password')
      .set('Host', 'evil.example')
      .set('X-Forwarded-Host', 'evil.example')
      .set('X-Forwarded-Proto', 'https')
      .send({ email })
      .expect(202);
    const mail = await inbox().waitFor({ to: email, subject: RESET });
    expect(mail.Text).not.toContain('evil.example');
    expect(mail.HTML).not.toContain('evil.example');
    expect(mail.Text).toContain(`${config.publicUrl}/#reset-password=`);
  });

  it('sets a new password once per link, ends every session of the account and says so by mail', async () => {
    const { agent, email } = await signedUpAgent(app);
    const elsewhere = await signIn(email);
    await request(app).post('/api/auth/forgot-password').send({ email: email.toUpperCase() });
    const token = await mailedToken(email, RESET);

    const newPassword = 'a brand new passphrase';
    await request(app)
      .post('/api/auth/reset-password')
      .send({ token, password: newPassword })
      .expect(200);
    for (const browser of [agent, elsewhere]) await browser.get('/api/auth/me').expect(401);
    await request(app).post('/api/auth/login').send({ email, password }).expect(401);
    const signedIn = await signIn(email, newPassword);
    // Following the link proved the address too.
    expect((await signedIn.get('/api/auth/session')).body.user.emailVerified).toBe(true);
    await inbox().waitFor({ to: email, subject: /password was changed/ });

    const reused = await request(app)
      .post('/api/auth/reset-password')
      .send({ token, password: 'yet another passphrase' })
      .expect(400);
    expect(reused.body.error.code).toBe('link_used');
  });

  it('refuses a weak new password without using the link up', async () => {
    const { email } = await signedUpAgent(app);
    await request(app).post('/api/auth/forgot-password').send({ email });
    const token = await mailedToken(email, RESET);
    const weak = await request(app)
      .post('/api/auth/reset-password')
      .send({ token, password: 'short' })
      .expect(400);
    expect(weak.body.error.fields).toHaveProperty('password');
    await request(app)
      .post('/api/auth/reset-password')
      .send({ token, password: 'long enough this time' })
      .expect(200);
  });

  it('mails one address only a few times, however many clients ask', async () => {
    const limited = buildTestApp({ TRUST_PROXY: 'loopback' });
    const email = uniqueEmail();
    const ask = (ip: string) =>
      request(limited).post('/api/auth/forgot-password').set('X-Forwarded-For', ip).send({ email });
    for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) await ask(ip).expect(202);
    const refused = await ask('203.0.113.4').expect(429);
    expect(refused.headers['retry-after']).toBeDefined();
  });
});

describe('changing the password', () => {
  it('needs the current one, keeps this session and ends the others', async () => {
    const { agent, email } = await signedUpAgent(app);
    const elsewhere = await signIn(email);
    const wrong = await agent
      .post('/api/account/password')
      .send({ currentPassword: 'not it at all', newPassword: 'something new and long' })
      .expect(401);
    expect(wrong.body.error.fields).toHaveProperty('currentPassword');
    await elsewhere.get('/api/auth/me').expect(200);

    await agent
      .post('/api/account/password')
      .send({ currentPassword: password, newPassword: 'something new and long' })
      .expect(204);
    await agent.get('/api/auth/me').expect(200);
    await elsewhere.get('/api/auth/me').expect(401);
    await inbox().waitFor({ to: email, subject: /password was changed/ });
  });
});

describe('changing the address', () => {
  it('changes nothing until the new address confirms; the old one is told', async () => {
    const { agent, email } = await signedUpAgent(app);
    const elsewhere = await signIn(email);
    const newEmail = uniqueEmail();
    const res = await agent
      .post('/api/account/email')
      .send({ currentPassword: password, newEmail: newEmail.toUpperCase() })
      .expect(202);
    expect(res.body.pendingEmail).toBe(newEmail);
    await inbox().waitFor({ to: email, subject: /about to change/ });
    const token = await mailedToken(newEmail, /Confirm your new email address/);
    expect((await agent.get('/api/account').expect(200)).body.user).toMatchObject({
      email,
      pendingEmail: newEmail,
    });
    await signIn(email);

    await request(app).post('/api/auth/confirm-email').send({ token }).expect(200);
    expect((await elsewhere.get('/api/auth/me').expect(200)).body.user.email).toBe(newEmail);
    await signIn(newEmail);
    await request(app).post('/api/auth/login').send({ email, password }).expect(401);
  });

  it('refuses an address another account has', async () => {
    const { agent } = await signedUpAgent(app);
    const { email: taken } = await signedUpAgent(app);
    const res = await agent
      .post('/api/account/email')
      .send({ currentPassword: password, newEmail: taken })
      .expect(409);
    expect(res.body.error.code).toBe('email_taken');
  });
});

describe('signed-in devices', () => {
  it('lists each session with this one marked, and ends another, or all the others', async () => {
    const { agent, email } = await signedUpAgent(app);
    const phone = request.agent(app);
    await phone
      .post('/api/auth/login')
      .set('User-Agent', 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/140.0 Mobile')
      .send({ email, password })
      .expect(200);
    const laptop = await signIn(email);

    const { sessions } = (await agent.get('/api/account/sessions').expect(200)).body as {
      sessions: { id: string; current: boolean; browser: string; place: string }[];
    };
    expect(sessions).toHaveLength(3);
    expect(sessions[0]?.current).toBe(true);
    expect(sessions.map((s) => s.browser)).toContain('Chrome 140 on Android');
    expect(sessions[0]?.place).toBe('This computer');
    expect(JSON.stringify(sessions)).not.toMatch(/sid|passport/);

    const phoneSession = sessions.find((s) => s.browser.includes('Android'));
    await agent.delete(`/api/account/sessions/${phoneSession?.id ?? ''}`).expect(204);
    await phone.get('/api/auth/me').expect(401);
    await laptop.get('/api/auth/me').expect(200);

    const other = await signedUpAgent(app);
    await other.agent.delete(`/api/account/sessions/${sessions[0]?.id ?? ''}`).expect(404);

    expect((await agent.post('/api/account/sessions/revoke-others').expect(200)).body).toEqual({
      revoked: 1,
    });
    await laptop.get('/api/auth/me').expect(401);
    await agent.get('/api/auth/me').expect(200);
  });
});

describe('deleting the account', () => {
  it('needs the password, signs out everywhere, and leaves nothing in the database or the bucket', async () => {
    const { agent, email, userId } = await signedUpAgent(app);
    const elsewhere = await signIn(email);
    await upload(agent, { name: 'hello.txt', bytes: Buffer.from('hello') });
    await agent.post('/api/notes').send({ title: 'mine' }).expect(201);
    const verify = await mailedToken(email, VERIFY);

    await agent.delete('/api/account').send({ password: 'not my password' }).expect(401);
    await agent.delete('/api/account').send({ password }).expect(202);
    await agent.get('/api/auth/me').expect(401);
    await elsewhere.get('/api/auth/me').expect(401);
    await request(app).post('/api/auth/login').send({ email, password }).expect(401);

    await inbox().waitFor({ to: email, subject: /account was deleted/ });
    expect(await db.select().from(users).where(eq(users.id, userId))).toEqual([]);
    const left = [];
    for await (const object of storage.list(userPrefix(userId))) left.push(object.key);
    expect(left).toEqual([]);

    const stale = await request(app).post('/api/auth/verify-email').send({ token: verify });
    expect(stale.body.error.code).toBe('link_invalid');
  });
});

describe('links that a change makes stale', () => {
  const CONFIRM = /Confirm your new email address/;

  it('a password reset cancels a change of address someone else asked for', async () => {
    const { agent, email } = await signedUpAgent(app);
    const thief = uniqueEmail();
    await agent
      .post('/api/account/email')
      .send({ currentPassword: password, newEmail: thief })
      .expect(202);
    const stolen = await mailedToken(thief, CONFIRM);

    await request(app).post('/api/auth/forgot-password').send({ email });
    const reset = await mailedToken(email, RESET);
    await request(app)
      .post('/api/auth/reset-password')
      .send({ token: reset, password: 'the owner takes it back' })
      .expect(200);

    const moved = await request(app).post('/api/auth/confirm-email').send({ token: stolen });
    expect(moved.body.error.code).toBe('link_invalid');
    await signIn(email, 'the owner takes it back');
  });

  it('a reset link mailed to the old address dies when the address changes', async () => {
    const { agent, email } = await signedUpAgent(app);
    await request(app).post('/api/auth/forgot-password').send({ email });
    const reset = await mailedToken(email, RESET);
    const newEmail = uniqueEmail();
    await agent
      .post('/api/account/email')
      .send({ currentPassword: password, newEmail })
      .expect(202);
    const confirm = await mailedToken(newEmail, CONFIRM);
    await request(app).post('/api/auth/confirm-email').send({ token: confirm }).expect(200);

    const late = await request(app)
      .post('/api/auth/reset-password')
      .send({ token: reset, password: 'whoever read the old inbox' });
    expect(late.body.error.code).toBe('link_invalid');
  });

  it('a password change cancels reset links already mailed', async () => {
    const { agent, email } = await signedUpAgent(app);
    await request(app).post('/api/auth/forgot-password').send({ email });
    const reset = await mailedToken(email, RESET);
    await agent
      .post('/api/account/password')
      .send({ currentPassword: password, newPassword: 'changed on purpose' })
      .expect(204);
    const late = await request(app)
      .post('/api/auth/reset-password')
      .send({ token: reset, password: 'whoever read the inbox' });
    expect(late.body.error.code).toBe('link_invalid');
  });
});

describe('the current password, asked again', () => {
  it('is throttled like a sign-in, so a stolen session cannot guess it', async () => {
    const limited = buildTestApp({ AUTH_RATE_LIMIT: '100', AUTH_ACCOUNT_RATE_LIMIT: '3' });
    const { agent } = await signedUpAgent(limited);
    const change = (currentPassword: string) =>
      agent
        .post('/api/account/password')
        .send({ currentPassword, newPassword: 'a new and long password' });
    for (let i = 0; i < 3; i++) await change(`guess number ${i}`).expect(401);
    const refused = await change(password).expect(429);
    expect(refused.headers['retry-after']).toBeDefined();
    await agent.delete('/api/account').send({ password }).expect(429);
  });
});

describe('mail to an address the user chooses', () => {
  it('is throttled per address, so a signed-in user cannot flood someone else', async () => {
    const { agent } = await signedUpAgent(app);
    const victim = uniqueEmail();
    const ask = () =>
      agent.post('/api/account/email').send({ currentPassword: password, newEmail: victim });
    for (let i = 0; i < 3; i++) await ask().expect(202);
    await ask().expect(429);
    await vi.waitFor(async () => expect(await inbox().count({ to: victim })).toBe(3));
  });
});
