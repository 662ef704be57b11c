// Password guessing is throttled per account and per client IP (ADR 015), in a store every
// replica shares. Only failures count, and a refused attempt never reaches the password check.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { useTestDatabase } from '@shipshape/db/testing';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, inject, it, onTestFinished, vi } from 'vitest';
import type { AttemptCounter } from '../src/auth/attempts/counter';
import { createPostgresAttemptCounter } from '../src/auth/attempts/postgres';
import { connectRedisAttemptCounter } from '../src/auth/attempts/redis';
import { burnVerifyTime, verifyPassword } from '../src/auth/passwords';
import { SIGN_IN_WINDOW_MS } from '../src/auth/throttle';
import { send } from '@shipshape/stack/http';
import { buildTestApp, password, uniqueEmail } from './helpers';
import { startOwnRedis } from '@shipshape/queue/testing';

useTestDatabase();

// Every password check runs one of these two; counting their calls shows which attempts were checked.
vi.mock('../src/auth/passwords', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/auth/passwords')>();
  return {
    ...actual,
    verifyPassword: vi.fn(actual.verifyPassword),
    burnVerifyTime: vi.fn(actual.burnVerifyTime),
  };
});
const passwordChecks = () =>
  vi.mocked(verifyPassword).mock.calls.length + vi.mocked(burnVerifyTime).mock.calls.length;

type App = ReturnType<typeof buildTestApp>;

/** Clients at many addresses, as Caddy on the same host reports them in X-Forwarded-For. */
const behindProxy = { TRUST_PROXY: 'loopback' };
const limits = (perIp: number, perAccount: number) => ({
  AUTH_RATE_LIMIT: String(perIp),
  AUTH_ACCOUNT_RATE_LIMIT: String(perAccount),
});

function login(app: App, email: string, guess: string, ip = '192.0.2.1') {
  return request(app)
    .post('/api/auth/login')
    .set('X-Forwarded-For', ip)
    .send({ email, password: guess });
}

async function signUp(app: App, ip = '192.0.2.200') {
  const email = uniqueEmail();
  await request(app)
    .post('/api/auth/register')
    .set('X-Forwarded-For', ip)
    .send({ email, password })
    .expect(201);
  return email;
}

describe('per account', () => {
  it('refuses guesses past the limit from 40 IPs with 429 and Retry-After, and checks none of them', async () => {
    const app = buildTestApp({ ...behindProxy, ...limits(10, 10) });
    const email = await signUp(app);
    const checksBefore = passwordChecks();

    const statuses: number[] = [];
    let refused: request.Response | undefined;
    for (let i = 1; i <= 40; i++) {
      const res = await login(app, email, `wrong guess number ${i}`, `198.51.100.${i}`);
      statuses.push(res.status);
      if (res.status === 429) refused = res;
    }

    expect(statuses).toEqual([...Array<number>(10).fill(401), ...Array<number>(30).fill(429)]);
    expect(passwordChecks() - checksBefore).toBe(10);
    expect(refused?.body).toEqual({
      error: { code: 'rate_limited', message: expect.stringMatching(/Try again in 15 minutes/) },
    });
    const retryAfter = Number(refused?.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);

    // A browser that never signed in to this account waits too, whatever the password.
    await login(app, email, password, '198.51.100.41').expect(429);
    expect(passwordChecks() - checksBefore).toBe(10);
  });

  it('counts guesses at unknown emails the same way, so they reveal nothing', async () => {
    const app = buildTestApp({ ...behindProxy, ...limits(100, 2) });
    const email = uniqueEmail();
    const statuses = [];
    for (let i = 1; i <= 3; i++)
      statuses.push((await login(app, email, password, `198.51.100.${i}`)).status);
    expect(statuses).toEqual([401, 401, 429]);
  });

  it('lets the owner in from a browser that signed in before, while an attacker holds the account at its limit', async () => {
    const app = buildTestApp({ ...behindProxy, ...limits(100, 5) });
    const owner = request.agent(app);
    const email = uniqueEmail();
    await owner
      .post('/api/auth/register')
      .set('X-Forwarded-For', '192.0.2.10')
      .send({ email, password })
      .expect(201);
    await owner.post('/api/auth/logout').expect(204);

    for (let i = 1; i <= 8; i++) await login(app, email, 'attacker guess', `198.51.100.${i}`);
    await login(app, email, password, '192.0.2.11').expect(429);

    await owner
      .post('/api/auth/login')
      .set('X-Forwarded-For', '192.0.2.10')
      .send({ email, password })
      .expect(200);
    await owner.get('/api/auth/me').expect(200);
  });

  it('gives that browser a budget of its own, good for its account only', async () => {
    const app = buildTestApp({ ...behindProxy, ...limits(100, 3) });
    const owner = request.agent(app);
    const email = uniqueEmail();
    await owner.post('/api/auth/register').send({ email, password }).expect(201);
    const other = await signUp(app);

    const guess = (account: string) =>
      owner.post('/api/auth/login').send({ email: account, password: 'a wrong guess' });
    // On another account the cookie counts for nothing: that account's own limit applies.
    expect([
      (await guess(other)).status,
      (await guess(other)).status,
      (await guess(other)).status,
    ]).toEqual([401, 401, 401]);
    await guess(other).expect(429);
    // On its own account, the browser's failures are counted apart, and a success clears them.
    await guess(email).expect(401);
    await guess(email).expect(401);
    await owner.post('/api/auth/login').send({ email, password }).expect(200);
    for (let i = 0; i < 3; i++) await guess(email).expect(401);
    await guess(email).expect(429);
  });
});

describe('per client IP', () => {
  it('never throttles an office IP whose people sign in successfully', async () => {
    // No proxy: every request comes from 127.0.0.1, one shared address.
    const app = buildTestApp(limits(3, 3));
    const emails = [];
    for (let i = 0; i < 3; i++) emails.push(await signUp(app));
    for (const round of [1, 2]) {
      for (const email of emails) await login(app, email, password).expect(200);
      if (round === 1) await login(app, emails[0] ?? '', 'a mistyped password').expect(401);
    }
  });

  it('refuses an IP that used up its failures, even on accounts it never tried, and no other IP', async () => {
    const app = buildTestApp({ ...behindProxy, ...limits(3, 100) });
    const email = await signUp(app);
    for (let i = 0; i < 3; i++)
      await login(app, uniqueEmail(), password, '203.0.113.7').expect(401);

    const refused = await login(app, email, password, '203.0.113.7').expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(14 * 60);
    await login(app, email, password, '203.0.113.8').expect(200);
  });

  it('lets a colleague in from a browser that signed in before when the office IP is at its limit', async () => {
    const app = buildTestApp(limits(3, 100));
    const colleague = request.agent(app);
    const email = uniqueEmail();
    await colleague.post('/api/auth/register').send({ email, password }).expect(201);
    for (let i = 0; i < 3; i++) await login(app, uniqueEmail(), password).expect(401);

    await login(app, email, password).expect(429);
    await colleague.post('/api/auth/login').send({ email, password }).expect(200);
  });

  it('counts every sign-up from one IP, so nobody opens accounts without end', async () => {
    const app = buildTestApp({ ...behindProxy, ...limits(3, 100) });
    for (let i = 0; i < 3; i++) await signUp(app, '203.0.113.40');
    const refused = await request(app)
      .post('/api/auth/register')
      .set('X-Forwarded-For', '203.0.113.40')
      .send({ email: uniqueEmail(), password })
      .expect(429);
    expect(refused.body.error).toEqual({
      code: 'rate_limited',
      message: expect.stringMatching(/^Too many requests\. Try again in 15 minutes\.$/),
    });
    await signUp(app, '203.0.113.41');
  });

  it('counts a sign-up for a taken email as a failure, so finding out who has an account is throttled', async () => {
    const app = buildTestApp({ ...behindProxy, ...limits(3, 100) });
    const taken = await signUp(app);
    const register = (email: string) =>
      request(app)
        .post('/api/auth/register')
        .set('X-Forwarded-For', '192.0.2.1')
        .send({ email, password });
    for (let i = 0; i < 3; i++) {
      expect((await register(taken).expect(409)).body.error.code).toBe('email_taken');
    }
    const refused = await register(uniqueEmail()).expect(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(refused.headers['retry-after']).toBeDefined();
    await login(app, taken, password).expect(429);
  });
});

describe('which address is the client', () => {
  it('ignores X-Forwarded-For by default, so a client cannot pick a fresh IP per guess', async () => {
    const app = buildTestApp(limits(3, 100));
    const statuses = [];
    for (let i = 1; i <= 4; i++) {
      statuses.push((await login(app, uniqueEmail(), password, `198.51.100.${i}`)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('with TRUST_PROXY=loopback, takes the address the proxy on loopback forwards', async () => {
    const app = buildTestApp({ ...behindProxy, ...limits(3, 100) });
    for (let i = 1; i <= 4; i++)
      await login(app, uniqueEmail(), password, `198.51.100.${i}`).expect(401);
    for (let i = 0; i < 3; i++)
      await login(app, uniqueEmail(), password, '198.51.100.9').expect(401);
    await login(app, uniqueEmail(), password, '198.51.100.9').expect(429);
    await login(app, uniqueEmail(), password, '198.51.100.10').expect(401);
  });

  it('without a trusted proxy, counts each connecting address apart, over real sockets', async () => {
    const base = await listen(buildTestApp(limits(2, 100)));
    const from = (localAddress: string) =>
      post(
        base,
        '/api/auth/login',
        { email: uniqueEmail(), password },
        { localAddress, headers: { 'X-Forwarded-For': '198.51.100.77' } },
      );
    expect([(await from('127.0.0.2')).status, (await from('127.0.0.2')).status]).toEqual([
      401, 401,
    ]);
    expect((await from('127.0.0.2')).status).toBe(429);
    expect((await from('127.0.0.3')).status).toBe(401);
  });
});

const redisUrl = inject('redisUrl');
const stores: {
  name: string;
  available: boolean;
  open: (prefix: string) => Promise<AttemptCounter>;
}[] = [
  {
    name: 'Redis',
    available: redisUrl !== undefined,
    open: (prefix) =>
      connectRedisAttemptCounter(redisUrl ?? '', { windowMs: SIGN_IN_WINDOW_MS, prefix }),
  },
  {
    name: 'Postgres',
    available: true,
    open: (prefix) =>
      Promise.resolve(
        createPostgresAttemptCounter(buildTestApp().deps.db, {
          windowMs: SIGN_IN_WINDOW_MS,
          prefix,
        }),
      ),
  },
];

for (const store of stores) {
  describe.skipIf(!store.available)(`counts kept in ${store.name}`, () => {
    const replica = async (prefix: string) => {
      const attempts = await store.open(prefix);
      return { app: buildTestApp({ ...behindProxy, ...limits(100, 4) }, { attempts }), attempts };
    };

    it('are shared by two replicas', async () => {
      const prefix = `${inject('redisPrefix')}:${randomUUID()}:`;
      const [one, two] = [await replica(prefix), await replica(prefix)];
      onTestFinished(async () => {
        await one.attempts.close();
        await two.attempts.close();
      });
      const email = await signUp(one.app);
      for (let i = 1; i <= 4; i++) {
        await login(i % 2 ? one.app : two.app, email, 'a wrong guess', `198.51.100.${i}`).expect(
          401,
        );
      }
      await login(one.app, email, 'a wrong guess', '198.51.100.5').expect(429);
      await login(two.app, email, 'a wrong guess', '198.51.100.6').expect(429);
    });

    it('survive a restart of the API', async () => {
      const prefix = `${inject('redisPrefix')}:${randomUUID()}:`;
      const before = await replica(prefix);
      const email = await signUp(before.app);
      for (let i = 1; i <= 4; i++)
        await login(before.app, email, 'a wrong guess', `198.51.100.${i}`).expect(401);
      await before.attempts.close();

      const after = await replica(prefix);
      onTestFinished(() => after.attempts.close());
      await login(after.app, email, password, '198.51.100.5').expect(429);
    });
  });
}

describe('when Redis fails', () => {
  it('keeps sign-in working and quick while Redis is frozen or down, and warns once', async () => {
    const redis = await startOwnRedis();
    onTestFinished(() => redis.remove());
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const attempts = await connectRedisAttemptCounter(redis.url, { windowMs: SIGN_IN_WINDOW_MS });
    onTestFinished(() => attempts.close());
    const app = buildTestApp({ ...behindProxy, ...limits(100, 2) }, { attempts, logger });
    const base = await listen(app);
    const email = await signUp(app);
    const attempt = (guess: string) =>
      post(base, '/api/auth/login', { email, password: guess }).then((res) => res.status);

    expect(await attempt('a wrong guess')).toBe(401);

    redis.freeze();
    expect(await attempt(password)).toBe(200);
    expect(await attempt('a wrong guess')).toBe(401);
    redis.thaw();

    await redis.remove();
    // Past the limit of 2, but nothing counts while Redis is gone: sign-in fails open.
    expect(await attempt('a wrong guess')).toBe(401);
    expect(await attempt('a wrong guess')).toBe(401);
    expect(await attempt(password)).toBe(200);

    const warnings = lines.filter((line) => line.includes('sign-in attempt counter unavailable'));
    expect(warnings).toHaveLength(1);
  });

  it('starts and signs people in when Redis is down from the start', async () => {
    const redis = await startOwnRedis();
    await redis.remove();
    const attempts = await connectRedisAttemptCounter(redis.url, { windowMs: SIGN_IN_WINDOW_MS });
    onTestFinished(() => attempts.close());
    const app = buildTestApp(behindProxy, { attempts });
    const email = await signUp(app);
    const res = await post(await listen(app), '/api/auth/login', { email, password });
    expect(res.status).toBe(200);
  });
});

/** Listens on loopback for this test; the base URL of the server. */
async function listen(app: App): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A JSON POST over a real socket that gives up after 5 s: a server that never answers fails the test. */
function post(
  base: string,
  path: string,
  json: object,
  options: { localAddress?: string; headers?: Record<string, string> } = {},
) {
  return send(`${base}${path}`, { json, timeoutMs: 5_000, ...options });
}
