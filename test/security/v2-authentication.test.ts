// ASVS 4.0.3 V2 (authentication), level 1: password rules, guessing limits as shipped, no
// account enumeration at sign-in, password storage. The mechanics of the throttle (device
// cookies, shared stores, Redis outages) are tested in apps/api/test/auth-throttle.test.ts;
// here, what the defaults promise an attacker.
import { loadConfig } from '@shipshape/config';
import { useTestDatabase } from '@shipshape/db/testing';
import { describe, expect, it } from 'vitest';
import { databasePool, password, signUp, startApp, uniqueEmail } from './support/app';
import { Client, send } from '@shipshape/stack/http';

useTestDatabase();

// The limits a deployment gets when it sets neither AUTH_RATE_LIMIT nor AUTH_ACCOUNT_RATE_LIMIT.
const defaults = loadConfig({});
const shipped = {
  AUTH_RATE_LIMIT: String(defaults.authRateLimit),
  AUTH_ACCOUNT_RATE_LIMIT: String(defaults.authAccountRateLimit),
};
const roomy = { AUTH_RATE_LIMIT: '1000', AUTH_ACCOUNT_RATE_LIMIT: '1000' };
const behindProxy = { TRUST_PROXY: 'loopback' };

const pool = databasePool();

// One app for the tests that do not count failures against a limit.
const target = await startApp(roomy);
const client = (path: string, body: object) => post(target.base, path, body);

describe('V2.1 password security', () => {
  it('V2.1.1/V2.1.2: refuses fewer than 8 characters, accepts 64 and refuses more than 200', async () => {
    const register = (secret: string) =>
      client('/api/auth/register', { email: uniqueEmail(), password: secret });
    expect((await register('seven77')).status).toBe(400);
    expect((await register('x'.repeat(64))).status).toBe(201);
    expect((await register('x'.repeat(200))).status).toBe(201);
    const tooLong = await register('x'.repeat(201));
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.error.fields).toHaveProperty('password');
  });

  it('V2.1.3: never truncates: a prefix of a long password does not sign in', async () => {
    const email = uniqueEmail();
    const long = `${'a long passphrase '.repeat(11)}!`.slice(0, 200);
    expect((await client('/api/auth/register', { email, password: long })).status).toBe(201);
    expect((await client('/api/auth/login', { email, password: long.slice(0, 72) })).status).toBe(
      401,
    );
    expect((await client('/api/auth/login', { email, password: long.slice(0, -1) })).status).toBe(
      401,
    );
    expect((await client('/api/auth/login', { email, password: long })).status).toBe(200);
  });

  it('V2.1.4/V2.1.9: any printable Unicode, no composition rules, spaces kept as typed', async () => {
    for (const secret of ['pässwörd 🔐 密码 пароль', 'all lowercase words', '  spaced  out  ']) {
      const email = uniqueEmail();
      expect((await client('/api/auth/register', { email, password: secret })).status).toBe(201);
      expect((await client('/api/auth/login', { email, password: secret })).status).toBe(200);
      // Trimmed or with spaces collapsed, it is another password.
      const altered = secret.trim().replace(/\s+/g, ' ');
      if (altered !== secret && altered.length >= 8) {
        expect((await client('/api/auth/login', { email, password: altered })).status).toBe(401);
      }
    }
  });
});

describe('V2.2.1 anti-automation with the shipped limits', () => {
  it('refuses the 11th failed sign-in from one IP, on any account, with 429 and Retry-After', async () => {
    const { base } = await startApp({ ...shipped, ...behindProxy });
    expect(defaults.authRateLimit).toBe(10);
    const from = (ip: string, email: string, secret: string) =>
      post(base, '/api/auth/login', { email, password: secret }, { 'X-Forwarded-For': ip });
    const victim = uniqueEmail();
    await post(
      base,
      '/api/auth/register',
      { email: victim, password },
      {
        'X-Forwarded-For': '192.0.2.99',
      },
    );

    const statuses = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await from('203.0.113.50', uniqueEmail(), 'a guess at a password')).status);
    }
    expect(statuses).toEqual(Array<number>(10).fill(401));
    // Even the right password is refused from that IP now, before it is checked.
    const refused = await from('203.0.113.50', victim, password);
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Another IP is not held back by it.
    expect((await from('203.0.113.51', victim, password)).status).toBe(200);
  });

  it('refuses the 11th failed sign-in on one account, from 11 different IPs', async () => {
    const { base } = await startApp({ ...shipped, ...behindProxy });
    expect(defaults.authAccountRateLimit).toBe(10);
    const email = uniqueEmail();
    await post(base, '/api/auth/register', { email, password }, { 'X-Forwarded-For': '192.0.2.1' });
    const statuses = [];
    for (let i = 1; i <= 11; i++) {
      const res = await post(
        base,
        '/api/auth/login',
        { email, password: `wrong guess ${i}` },
        { 'X-Forwarded-For': `198.51.100.${i}` },
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array<number>(10).fill(401), 429]);
  });
});

describe('V2.2 / V3.2 no account enumeration at sign-in', () => {
  it('answers an unknown email and a wrong password with the same status, body and cookies', async () => {
    const email = uniqueEmail();
    await client('/api/auth/register', { email, password });
    const wrong = await client('/api/auth/login', { email, password: 'not the password' });
    const unknown = await client('/api/auth/login', { email: uniqueEmail(), password });
    // A registered email in another case is the same account, not a third kind of answer.
    const shouted = await client('/api/auth/login', {
      email: email.toUpperCase(),
      password: 'not the password',
    });
    for (const res of [wrong, unknown, shouted]) {
      expect(res.status).toBe(401);
      expect(res.json).toEqual({
        error: { code: 'invalid_credentials', message: 'Email or password is incorrect.' },
      });
      expect(res.setCookies).toEqual([]);
    }
    expect(Object.keys(wrong.headers).sort()).toEqual(Object.keys(unknown.headers).sort());
  });

  it('takes about as long for both: the unknown email pays a dummy argon2 verify', async () => {
    const email = uniqueEmail();
    await client('/api/auth/register', { email, password });
    const time = async (body: object) => {
      const started = performance.now();
      const res = await client('/api/auth/login', body);
      expect(res.status).toBe(401);
      return performance.now() - started;
    };
    const wrong: number[] = [];
    const unknown: number[] = [];
    await time({ email: uniqueEmail(), password }); // warms the dummy hash
    // Interleaved, so a busy moment of the machine falls on both kinds alike.
    for (let i = 0; i < 9; i++) {
      wrong.push(await time({ email, password: `wrong password ${i}` }));
      unknown.push(await time({ email: uniqueEmail(), password }));
    }
    // Without the dummy verify an unknown email answers 10-50× faster (no argon2 at all); with
    // it the medians are within a few percent. 3× leaves room for a noisy shared machine.
    const ratio = median(wrong) / median(unknown);
    expect(ratio, `medians: wrong ${median(wrong)} ms, unknown ${median(unknown)} ms`).toBeLessThan(
      3,
    );
    expect(ratio).toBeGreaterThan(1 / 3);
  });

  it('V2.2 (ADR 016): says an email is taken at registration, by design (ADR 016), and only there', async () => {
    const email = uniqueEmail();
    await client('/api/auth/register', { email, password });
    const again = await client('/api/auth/register', { email, password });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('email_taken');
  });
});

describe('V2.4.1 password storage', () => {
  it('stores an argon2id hash with a salt of its own, at the OWASP minimum cost, never the password', async () => {
    const [first, second] = [uniqueEmail(), uniqueEmail()];
    await client('/api/auth/register', { email: first, password });
    await client('/api/auth/register', { email: second, password });
    const { rows } = await pool.query<{ password_hash: string }>(
      'select password_hash from users where email = any($1) order by email',
      [[first, second]],
    );
    expect(rows).toHaveLength(2);
    for (const { password_hash: hash } of rows) {
      expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(hash).not.toContain(password);
    }
    // The same password, two different hashes: each has its own salt.
    expect(rows[0]?.password_hash).not.toBe(rows[1]?.password_hash);
  });

  it('never sends a hash back, at sign-up, sign-in, in the session or on the account page', async () => {
    const browser = new Client(target.base);
    const { email } = await signUp(browser);
    const answers = [
      await browser.post('/api/auth/login', { json: { email, password } }),
      await browser.get('/api/auth/me'),
      await browser.get('/api/auth/session'),
      await browser.get('/api/account'),
    ];
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(res.json.user).toMatchObject({ id: expect.any(String), email });
      // Only what the page shows: no other field can carry a hash by accident.
      expect(Object.keys(res.json.user).filter((key) => !userFields.has(key))).toEqual([]);
      expect(res.text).not.toMatch(/argon2|hash|password/i);
    }
  });
});

// The fields of a user in the API's answers, GET /api/account's included.
const userFields = new Set(['id', 'email', 'emailVerified', 'createdAt', 'pendingEmail', 'role']);

function post(base: string, path: string, body: object, headers?: Record<string, string>) {
  return send(`${base}${path}`, { json: body, ...(headers && { headers }) });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
