// ASVS 4.0.3 V3.3 (session termination) for the account features: level 1, and V3.3.3/V3.3.4 of
// level 2, which they offer: a reset or a change of password ends the other sessions at once, a
// signed-in device can be signed out from another and stays out, the devices list never shows
// what a cookie holds, and a deleted account's sessions and credentials are worth nothing from
// the moment it is deleted.
import { useTestDatabase } from '@shipshape/db/testing';
import { parseCookie } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  databasePool,
  eventually,
  password,
  sessionSetCookie,
  signedIn,
  startApp,
  uniqueEmail,
} from './support/app';
import type { Client } from '@shipshape/stack/http';
import { mailedToken, subjects } from './support/mail';

useTestDatabase();

const pool = databasePool();
const target = await startApp();

const me = async (client: Client) => (await client.get('/api/auth/me')).status;

/** Another browser of the same person, signed in with the password. */
async function signIn(email: string, secret = password, userAgent = 'Another browser') {
  const browser = target.client({ 'User-Agent': userAgent });
  const res = await browser.post('/api/auth/login', { json: { email, password: secret } });
  expect(res.status).toBe(200);
  return browser;
}

/** The session cookie a browser holds: its value as sent, and the session id inside. */
function sessionOf(client: Client) {
  const entry = [...client.cookies].find(([name]) => name.endsWith('shipshape.sid'));
  if (!entry) throw new Error('this client holds no session cookie');
  const value = entry[1];
  const sid = /^s:([^.]+)\./.exec(decodeURIComponent(value))?.[1] ?? '';
  return { value, decoded: decodeURIComponent(value), sid };
}

async function devices(client: Client) {
  const res = await client.get('/api/account/sessions');
  expect(res.status).toBe(200);
  return res.json.sessions as { id: string; current: boolean; browser: string }[];
}

const storedSessions = async (sid: string) =>
  (await pool.query('select 1 from sessions where sid = $1', [sid])).rowCount;

describe('V3.3.3 ending the other sessions when the password changes', () => {
  it('a reset signs every browser out at once, and does not sign in the one that reset', async () => {
    const { client: laptop, email } = await signedIn(target);
    const phone = await signIn(email);
    const stolen = phone.clone();
    const requester = target.client();
    await requester.post('/api/auth/forgot-password', { json: { email } });
    const token = await mailedToken(email, subjects.reset);

    const reset = await requester.post('/api/auth/reset-password', {
      json: { token, password: 'the passphrase after the reset' },
    });
    expect(reset.status).toBe(200);
    expect(sessionSetCookie(reset.setCookies)).toBeUndefined();
    for (const browser of [laptop, phone, stolen]) {
      expect(await me(browser)).toBe(401);
      expect((await browser.get('/api/account')).status).toBe(401);
    }
    expect(await me(requester)).toBe(401);
    expect((await requester.get('/api/auth/session')).json).toEqual({ user: null });
  });

  it('a change of password ends the other sessions and keeps this one', async () => {
    const { client: laptop, email } = await signedIn(target);
    const others = [await signIn(email), await signIn(email)];
    const res = await laptop.post('/api/account/password', {
      json: { currentPassword: password, newPassword: 'a changed passphrase' },
    });
    expect(res.status).toBe(204);
    expect(await me(laptop)).toBe(200);
    for (const browser of others) expect(await me(browser)).toBe(401);
    expect((await devices(laptop)).map((device) => device.current)).toEqual([true]);
  });
});

describe('V3.3.4 signed-in devices', () => {
  it("a signed-out device's cookie stays dead, even replayed after the device signs in again", async () => {
    const { client: laptop, email } = await signedIn(target);
    const phone = await signIn(email, password, 'Phone browser');
    const replayed = phone.clone();
    const phoneSid = sessionOf(phone).sid;
    const [current, other] = await devices(laptop);
    expect([current?.current, other?.current]).toEqual([true, false]);

    expect((await laptop.delete(`/api/account/sessions/${other?.id ?? ''}`)).status).toBe(204);
    expect(await me(phone)).toBe(401);
    expect(await storedSessions(phoneSid)).toBe(0);
    // Signed out for good: a new sign-in is a new session, and the old cookie is still nothing.
    await signIn(email, password, 'Phone browser');
    expect(await me(replayed)).toBe(401);
    expect((await replayed.get('/api/account/sessions')).status).toBe(401);
    expect(await me(laptop)).toBe(200);
  });

  it('"sign out everywhere else" ends every other session and keeps this one', async () => {
    const { client: laptop, email } = await signedIn(target);
    const others = [await signIn(email), await signIn(email)];
    const res = await laptop.post('/api/account/sessions/revoke-others');
    expect(res.json).toEqual({ revoked: 2 });
    for (const browser of others) expect(await me(browser)).toBe(401);
    expect(await me(laptop)).toBe(200);
  });

  it('never lists a session id or a cookie value', async () => {
    const { client: laptop, email } = await signedIn(target);
    const others = [await signIn(email), await signIn(email)];
    const secrets = [laptop, ...others].flatMap((browser) => Object.values(sessionOf(browser)));
    // The values as the server set them, not only as this client stored them.
    const login = await target.client().post('/api/auth/login', { json: { email, password } });
    const setCookie = parseCookie(sessionSetCookie(login.setCookies) ?? '')?.value ?? '';
    expect(setCookie).not.toBe('');
    secrets.push(setCookie, decodeURIComponent(setCookie));

    for (const browser of [laptop, ...others]) {
      const listed = await browser.get('/api/account/sessions');
      expect(listed.json.sessions).toHaveLength(4);
      for (const secret of secrets) expect(listed.text).not.toContain(secret);
    }
  });
});

describe('V3.3.1 a deleted account', () => {
  it('has its sessions ended at once, and its credentials answer as an unknown account', async () => {
    const { client, email, userId } = await signedIn(target);
    const elsewhere = await signIn(email);
    const replayed = [client.clone(), elsewhere.clone()];
    const res = await client.delete('/api/account', { json: { password } });
    expect(res.status).toBe(202);
    for (const browser of [client, elsewhere, ...replayed]) expect(await me(browser)).toBe(401);
    const { rows } = await pool.query(
      `select 1 from sessions where (sess #>> '{passport,user,id}') = $1`,
      [userId],
    );
    expect(rows).toEqual([]);

    await expectLikeAnUnknownAccount(email);
    // And once the job has removed the row, the same again.
    await eventually(async () => {
      const left = await pool.query('select 1 from users where id = $1', [userId]);
      expect(left.rowCount).toBe(0);
    });
    await expectLikeAnUnknownAccount(email);
    for (const browser of replayed) expect(await me(browser)).toBe(401);
  });
});

async function expectLikeAnUnknownAccount(email: string) {
  const login = (address: string) =>
    target.client().post('/api/auth/login', { json: { email: address, password } });
  const [deleted, unknown] = [await login(email), await login(uniqueEmail())];
  expect(deleted.status).toBe(401);
  expect(deleted.text).toBe(unknown.text);
  expect(deleted.setCookies).toEqual([]);
  expect(unknown.setCookies).toEqual([]);
  expect(Object.keys(deleted.headers).sort()).toEqual(Object.keys(unknown.headers).sort());
}
