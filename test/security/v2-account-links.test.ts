// ASVS 4.0.3 V2.5 (credential recovery), with V2.3.1 and V2.7.3 read for mailed links, level 1:
// the tokens in the verification, reset and change-of-address mails cannot be guessed (the
// throttle stops a client that tries), work once, for one purpose, until a newer link replaces
// them; they are never kept in the database nor logged; and a forged Host cannot choose where
// the links point.
import { createHash } from 'node:crypto';
import { loadConfig } from '@shipshape/config';
import { useTestDatabase } from '@shipshape/db/testing';
import { describe, expect, it } from 'vitest';
import {
  behindCaddy,
  databasePool,
  deployed,
  password,
  signedIn,
  signUp,
  startApp,
  uniqueEmail,
} from './support/app';
import { Client } from '@shipshape/stack/http';
import { inbox, mailedLinks, mailedToken, randomToken, smtpUrl, subjects } from './support/mail';

useTestDatabase();

const pool = databasePool();
const target = await startApp();
const anonymous = () => target.client();

/** Asks for a reset link to `email` and returns it once it is the `nth` to arrive there. */
async function resetToken(client: Client, email: string, nth = 1) {
  const res = await client.post('/api/auth/forgot-password', { json: { email } });
  expect(res.status).toBe(202);
  return mailedToken(email, subjects.reset, nth);
}

const signInStatus = async (email: string, secret: string) =>
  (await anonymous().post('/api/auth/login', { json: { email, password: secret } })).status;

describe('V2.2.1/V2.3.1 a link cannot be guessed', () => {
  it('answers random tokens with link_invalid, then refuses the client even a real token with 429; another IP is unaffected', async () => {
    const limit = loadConfig({}).authRateLimit; // the shipped AUTH_RATE_LIMIT
    const { base } = await startApp({ AUTH_RATE_LIMIT: String(limit), TRUST_PROXY: 'loopback' });
    const from = (ip: string) => new Client(base, { headers: { 'X-Forwarded-For': ip } });
    const { email } = await signUp(from('192.0.2.10'));
    const real = await mailedToken(email, subjects.verify);

    const guesser = from('203.0.113.60');
    const endpoints = [
      '/api/auth/verify-email',
      '/api/auth/reset-password',
      '/api/auth/confirm-email',
    ];
    const answers = [];
    for (let i = 0; i < limit; i++) {
      // The password is for the reset endpoint; the other two ignore it.
      const res = await guesser.post(endpoints[i % endpoints.length] ?? '', {
        json: { token: randomToken(), password: 'a guessed new passphrase' },
      });
      answers.push([res.status, res.json.error.code]);
    }
    expect(answers).toEqual(Array(limit).fill([400, 'link_invalid']));

    // Refused before the token is looked at: a guess that happened to hit would not count.
    const refused = await guesser.post('/api/auth/verify-email', { json: { token: real } });
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    const owner = await from('203.0.113.61').post('/api/auth/verify-email', {
      json: { token: real },
    });
    expect(owner.status).toBe(200);
    expect(owner.json.user).toMatchObject({ email, emailVerified: true });
  });
});

describe('V2.7.3 a link works once, for one purpose, until a newer one replaces it', () => {
  it('refuses a used reset link with link_used, and the second password never takes', async () => {
    const { email } = await signUp(anonymous());
    const token = await resetToken(anonymous(), email);
    const first = 'the first new passphrase';
    const second = 'the second new passphrase';
    const reset = (secret: string) =>
      anonymous().post('/api/auth/reset-password', { json: { token, password: secret } });

    expect((await reset(first)).status).toBe(200);
    const reused = await reset(second);
    expect([reused.status, reused.json.error.code]).toEqual([400, 'link_used']);
    expect(await signInStatus(email, second)).toBe(401);
    expect(await signInStatus(email, password)).toBe(401);
    expect(await signInStatus(email, first)).toBe(200);
  });

  it('refuses a reset link once a newer one has been sent', async () => {
    const { email } = await signUp(anonymous());
    const older = await resetToken(anonymous(), email);
    const newer = await resetToken(anonymous(), email, 2);
    expect(newer).not.toBe(older);

    const stale = await anonymous().post('/api/auth/reset-password', {
      json: { token: older, password: 'set by the older link' },
    });
    expect([stale.status, stale.json.error.code]).toEqual([400, 'link_invalid']);
    expect(await signInStatus(email, password)).toBe(200);
    const fresh = await anonymous().post('/api/auth/reset-password', {
      json: { token: newer, password: 'set by the newer link' },
    });
    expect(fresh.status).toBe(200);
  });

  it('refuses each kind of link at the other two endpoints, without using it up', async () => {
    const { client, email } = await signedIn(target);
    const newEmail = uniqueEmail();
    const change = await client.post('/api/account/email', {
      json: { currentPassword: password, newEmail },
    });
    expect(change.status).toBe(202);
    const tokens = {
      '/api/auth/verify-email': await mailedToken(email, subjects.verify),
      '/api/auth/reset-password': await resetToken(anonymous(), email),
      '/api/auth/confirm-email': await mailedToken(newEmail, subjects.confirmEmail),
    };
    const body = (token: string) => ({ token, password: 'a new passphrase here' });

    for (const [purpose, token] of Object.entries(tokens)) {
      for (const endpoint of Object.keys(tokens).filter((path) => path !== purpose)) {
        const res = await anonymous().post(endpoint, { json: body(token) });
        expect([res.status, res.json.error.code], `${purpose} token at ${endpoint}`).toEqual([
          400,
          'link_invalid',
        ]);
      }
    }
    // Each still works where it belongs: the verification, then the change of address, which
    // (like any change of password or address) makes the reset link mailed before it stale.
    const follow = (endpoint: keyof typeof tokens) =>
      anonymous().post(endpoint, { json: body(tokens[endpoint]) });
    expect((await follow('/api/auth/verify-email')).status).toBe(200);
    expect((await follow('/api/auth/confirm-email')).status).toBe(200);
    const stale = await follow('/api/auth/reset-password');
    expect([stale.status, stale.json.error.code]).toEqual([400, 'link_invalid']);
  });
});

describe('V2.4/V7.1.1 a token is never at rest, nor logged', () => {
  it('keeps only sha256 hashes, and logs no token, through every flow that mails one', async () => {
    const app = await startApp({ ...deployed('production'), SMTP_URL: smtpUrl() });
    const browser = app.client(behindCaddy);
    const stranger = () => app.client(behindCaddy);
    const { email, userId } = await signUp(browser);
    const secrets = [password, 'the passphrase after the reset'];
    const tokens: string[] = [];
    const follow = async (path: string, token: string, extra: object = {}) => {
      tokens.push(token);
      const res = await stranger().post(path, { json: { token, ...extra } });
      expect(res.status, res.text).toBe(200);
    };

    await follow('/api/auth/verify-email', await mailedToken(email, subjects.verify));
    await stranger().post('/api/auth/forgot-password', { json: { email } });
    await follow('/api/auth/reset-password', await mailedToken(email, subjects.reset), {
      password: secrets[1],
    });
    const again = app.client(behindCaddy);
    await again.post('/api/auth/login', { json: { email, password: secrets[1] } });
    const newEmail = uniqueEmail();
    const change = await again.post('/api/account/email', {
      json: { currentPassword: secrets[1], newEmail },
    });
    expect(change.status).toBe(202);
    await follow('/api/auth/confirm-email', await mailedToken(newEmail, subjects.confirmEmail));

    const { rows: stored } = await pool.query<{ token_hash: string }>(
      'select * from account_tokens where user_id = $1',
      [userId],
    );
    const { rows: mails } = await pool.query('select * from emails where user_id = $1', [userId]);
    expect(mails.length).toBeGreaterThanOrEqual(5);
    const atRest = JSON.stringify([stored, mails]);
    const logged = app.log.text();
    for (const token of tokens) {
      const hex = Buffer.from(token, 'base64url').toString('hex');
      expect(stored.map((row) => row.token_hash)).toContain(sha256(token));
      for (const text of [atRest, logged]) {
        expect(text).not.toContain(token);
        expect(text).not.toContain(hex);
      }
    }
    for (const secret of secrets) expect(logged).not.toContain(secret);
    // One line per request at least: the scan read the log of the whole flow.
    expect(app.log.lines.length).toBeGreaterThanOrEqual(7);
  });
});

describe('V5.1.5 links in mail go only to PUBLIC_URL (no Host header injection)', () => {
  it('mails links to PUBLIC_URL when Host and X-Forwarded-Host are forged behind a trusted proxy', async () => {
    const env = { ...deployed('production'), SMTP_URL: smtpUrl() };
    const app = await startApp(env);
    const forged = {
      ...behindCaddy,
      Host: 'evil.example',
      'X-Forwarded-Host': 'evil.example',
    };
    const { email } = await signUp(app.client(forged));
    const forgot = await app.client(forged).post('/api/auth/forgot-password', { json: { email } });
    expect(forgot.status).toBe(202);

    const [verify] = await mailedLinks({ to: email, subject: subjects.verify });
    const [reset] = await mailedLinks({ to: email, subject: subjects.reset });
    expect(verify?.startsWith(`${env.PUBLIC_URL}/#verify-email=`), verify).toBe(true);
    expect(reset?.startsWith(`${env.PUBLIC_URL}/#reset-password=`), reset).toBe(true);
    for (const summary of await inbox().messages()) {
      if (summary.To?.some((to) => to.Address === email)) {
        const mail = await inbox().message(summary.ID);
        expect(mail.Text + mail.HTML).not.toContain('evil.example');
      }
    }
  });
});

function sha256(token: string) {
  return createHash('sha256').update(token).digest('hex');
}
