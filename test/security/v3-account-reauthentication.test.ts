// ASVS 4.0.3 V3.7.1 (re-authentication before sensitive changes), V4.1.1 and V4.2.2, level 1,
// for the account endpoints: changing the password or the address and deleting the account each
// ask for the current password and change nothing without it; none of them, nor any other
// account endpoint, answers the signed-out or a page of another site. (v4-access-control checks
// every route for 401 and 403 by its source; here, that such refusals leave everything as it was.)
import { useTestDatabase } from '@shipshape/db/testing';
import { describe, expect, it } from 'vitest';
import { databasePool, password, signedIn, startApp, uniqueEmail } from './support/app';
import type { Client, RequestOptions } from '@shipshape/stack/http';

useTestDatabase();

const pool = databasePool();
const target = await startApp();

const wrong = 'not the current password';
const changed = 'a changed passphrase';

/** Mails written for the user, by template: a refused change must write none. */
async function mailsOf(userId: string) {
  const { rows } = await pool.query<{ template: string }>(
    'select template from emails where user_id = $1 order by template',
    [userId],
  );
  return rows.map((row) => row.template);
}

/** A signed-in user with a second browser, and what both can check about the account. */
async function account() {
  const { client, email, userId } = await signedIn(target);
  const elsewhere = target.client();
  await elsewhere.post('/api/auth/login', { json: { email, password } });
  const signIn = async (secret: string) =>
    (await target.client().post('/api/auth/login', { json: { email, password: secret } })).status;
  return {
    client,
    email,
    userId,
    elsewhere,
    signIn,
    async expectUnchanged() {
      expect((await client.get('/api/auth/me')).status).toBe(200);
      expect((await elsewhere.get('/api/auth/me')).status).toBe(200);
      const profile = await client.get('/api/account');
      expect(profile.json.user).toMatchObject({ email, pendingEmail: null });
      expect(await signIn(changed)).toBe(401);
      expect(await signIn(password)).toBe(200);
      const { rows } = await pool.query('select deleted_at from users where id = $1', [userId]);
      expect(rows).toEqual([{ deleted_at: null }]);
      expect(await mailsOf(userId)).toEqual(['verify-email']);
    },
  };
}

/** The account endpoints that change something, each with a body its owner would send. */
function changes(otherDeviceId: string): [string, string, RequestOptions][] {
  return [
    [
      'POST',
      '/api/account/password',
      { json: { currentPassword: password, newPassword: changed } },
    ],
    [
      'POST',
      '/api/account/email',
      { json: { currentPassword: password, newEmail: uniqueEmail() } },
    ],
    ['POST', '/api/account/sessions/revoke-others', {}],
    ['DELETE', `/api/account/sessions/${otherDeviceId}`, {}],
    ['DELETE', '/api/account', { json: { password } }],
    ['POST', '/api/auth/verify-email/resend', {}],
  ];
}

async function otherDeviceOf(client: Client): Promise<string> {
  const res = await client.get('/api/account/sessions');
  const other = (res.json.sessions as { id: string; current: boolean }[]).find((s) => !s.current);
  if (!other) throw new Error('the account has no other session');
  return other.id;
}

describe('V3.7.1 re-authentication before a sensitive change', () => {
  const refusals: [string, string, (secret: string) => RequestOptions][] = [
    [
      'change the password',
      'POST /api/account/password',
      (secret) => ({ json: { currentPassword: secret, newPassword: changed } }),
    ],
    [
      'change the address',
      'POST /api/account/email',
      (secret) => ({ json: { currentPassword: secret, newEmail: uniqueEmail() } }),
    ],
    ['delete the account', 'DELETE /api/account', (secret) => ({ json: { password: secret } })],
  ];

  it.each(refusals)(
    'refuses to %s with a wrong current password: 401, and nothing changes',
    async (_what, route, body) => {
      const user = await account();
      const [method = '', path = ''] = route.split(' ');
      for (const secret of [wrong, password.toUpperCase(), `${password} `]) {
        const res = await user.client.request(method, path, body(secret));
        expect(res.status).toBe(401);
        expect(res.json.error.code).toBe('invalid_credentials');
      }
      await user.expectUnchanged();
    },
  );
});

describe('V4.1.1/V4.2.2 the account endpoints refuse the signed-out and other sites', () => {
  it('refuses a request from another site with 403, even with the right password, and nothing changes', async () => {
    const user = await account();
    const crossSite = { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' };
    for (const [method, path, options] of changes(await otherDeviceOf(user.client))) {
      const res = await user.client.request(method, path, { ...options, headers: crossSite });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json.error.code).toBe('cross_site_request');
    }
    await user.expectUnchanged();
  });

  it('refuses the signed-out with 401 on every account endpoint', async () => {
    const user = await account();
    const device = await otherDeviceOf(user.client);
    const signedOut = target.client();
    // A cookie replayed after its session signed out.
    const loggedOut = user.client.clone();
    expect((await user.client.post('/api/auth/logout')).status).toBe(204);
    const reads: [string, string, RequestOptions][] = [
      ['GET', '/api/account', {}],
      ['GET', '/api/account/sessions', {}],
    ];
    for (const browser of [signedOut, loggedOut]) {
      for (const [method, path, options] of [...reads, ...changes(device)]) {
        const res = await browser.request(method, path, options);
        expect([res.status, res.json.error.code], `${method} ${path}`).toEqual([
          401,
          'unauthenticated',
        ]);
      }
    }
    // The other browser, and the account, are as they were.
    expect((await user.elsewhere.get('/api/auth/me')).status).toBe(200);
    expect(await mailsOf(user.userId)).toEqual(['verify-email']);
    expect(await user.signIn(password)).toBe(200);
  });
});
