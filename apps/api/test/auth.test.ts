import { useTestDatabase } from '@shipshape/db/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  buildTestApp,
  deployedEnv,
  password,
  sessionCookie,
  signedUpAgent,
  uniqueEmail,
} from './helpers';

useTestDatabase();

const app = buildTestApp();

describe('registration', () => {
  it('creates an account, signs it in and returns the user without the password hash', async () => {
    const agent = request.agent(app);
    const email = uniqueEmail();
    const res = await agent.post('/api/auth/register').send({ email, password }).expect(201);
    expect(res.body).toEqual({
      user: { id: expect.any(String), email, emailVerified: false, role: 'user' },
    });
    const me = await agent.get('/api/auth/me').expect(200);
    expect(me.body.user.email).toBe(email);
  });

  it('treats emails that differ only in case as the same account', async () => {
    const email = uniqueEmail();
    await request(app).post('/api/auth/register').send({ email, password }).expect(201);
    const res = await request(app)
      .post('/api/auth/register')
      .send({ email: email.toUpperCase(), password })
      .expect(409);
    expect(res.body.error).toMatchObject({
      code: 'email_taken',
      fields: { email: expect.any(String) },
    });
  });

  it('lists every invalid field in one 400', async () => {
    const res = await request(app)
      .post('/api/auth/register')
      .send({ email: 'not-an-email', password: 'short' })
      .expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(Object.keys(res.body.error.fields).sort()).toEqual(['email', 'password']);
  });
});

describe('login', () => {
  it('signs in with the right password, case-insensitively on the email', async () => {
    const { email } = await signedUpAgent(app);
    const agent = request.agent(app);
    await agent.post('/api/auth/login').send({ email: email.toUpperCase(), password }).expect(200);
    await agent.get('/api/auth/me').expect(200);
  });

  it('gives a wrong password and an unknown email the same answer', async () => {
    const { email } = await signedUpAgent(app);
    const wrongPassword = await request(app)
      .post('/api/auth/login')
      .send({ email, password: 'wrong password here' })
      .expect(401);
    const unknownEmail = await request(app)
      .post('/api/auth/login')
      .send({ email: uniqueEmail(), password })
      .expect(401);
    expect(wrongPassword.body).toEqual(unknownEmail.body);
    expect(wrongPassword.body.error.code).toBe('invalid_credentials');
  });

  it('issues a new session id at login (no session fixation)', async () => {
    const { agent, email } = await signedUpAgent(app);
    const before = await agent.post('/api/auth/logout').expect(204);
    const first = sessionCookie(before);
    const login = await agent.post('/api/auth/login').send({ email, password }).expect(200);
    const second = sessionCookie(login);
    expect(second).toBeDefined();
    expect(second?.split(';')[0]).not.toBe(first?.split(';')[0]);

    // The id a client held before logging in is not the one that is now signed in.
    const fixedBefore = request.agent(app);
    const anonymous = await fixedBefore
      .post('/api/auth/login')
      .send({ email, password: 'nope nope' });
    expect(sessionCookie(anonymous)).toBeUndefined();
  });

  it('sets an HttpOnly, SameSite=Lax cookie, without Secure on local http', async () => {
    const res = await request(app)
      .post('/api/auth/register')
      .send({ email: uniqueEmail(), password })
      .expect(201);
    const cookie = sessionCookie(res) ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
  });

  it('marks the cookie Secure outside local, behind an HTTPS proxy', async () => {
    // The proxy (Caddy on the same host) terminates TLS and says so in X-Forwarded-Proto.
    const production = buildTestApp({
      APP_ENV: 'production',
      ...deployedEnv,
      TRUST_PROXY: 'loopback',
    });
    const res = await request(production)
      .post('/api/auth/register')
      .set('X-Forwarded-Proto', 'https')
      .send({ email: uniqueEmail(), password })
      .expect(201);
    expect(sessionCookie(res)).toMatch(/; Secure/);
  });
});

describe('logout and me', () => {
  it('ends the session on the server', async () => {
    const { agent } = await signedUpAgent(app);
    const me = await agent.get('/api/auth/me').expect(200);
    expect(me.body.user).toBeDefined();
    await agent.post('/api/auth/logout').expect(204);
    const after = await agent.get('/api/auth/me').expect(401);
    expect(after.body.error.code).toBe('unauthenticated');
  });

  it('answers 401 to a visitor who never signed in', async () => {
    await request(app).get('/api/auth/me').expect(401);
  });

  it('tells a page who is signed in, and that nobody is, without an error', async () => {
    await request(app).get('/api/auth/session').expect(200, { user: null });
    const { agent, email } = await signedUpAgent(app);
    const signedIn = await agent.get('/api/auth/session').expect(200);
    expect(signedIn.body).toEqual({
      user: { id: expect.any(String), email, emailVerified: false, role: 'user' },
    });
    await agent.post('/api/auth/logout').expect(204);
    await agent.get('/api/auth/session').expect(200, { user: null });
  });
});

describe('rate limiting', () => {
  it('answers 429 with a JSON error after too many login attempts', async () => {
    const limited = buildTestApp({ AUTH_RATE_LIMIT: '3' });
    const attempt = () =>
      request(limited).post('/api/auth/login').send({ email: uniqueEmail(), password });
    for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
    const res = await attempt().expect(429);
    expect(res.body.error.code).toBe('rate_limited');
  });
});
