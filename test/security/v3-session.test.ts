// ASVS 4.0.3 V3 (session management), level 1: a fresh session at sign-in, tokens no one can
// guess or plant, sign-out that ends the session on the server, a bounded lifetime, and cookie
// attributes as each environment sets them (local over plain http; staging and production
// behind Caddy over HTTPS).
import { useTestDatabase } from '@shipshape/db/testing';
import { parseCookie } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  behindCaddy,
  deployed,
  password,
  sessionSetCookie,
  signUp,
  startApp,
  uniqueEmail,
  databasePool,
} from './support/app';
import { Client } from '@shipshape/stack/http';

useTestDatabase();

const pool = databasePool();

const local = await startApp();
const environments = {
  local: { target: local, headers: {} },
  staging: { target: await startApp(deployed('staging')), headers: behindCaddy },
  production: { target: await startApp(deployed('production')), headers: behindCaddy },
};

const DAY_S = 24 * 60 * 60;

/** The session id inside a signed cookie value ("s:<id>.<signature>", URL-encoded). */
function sessionId(cookieValue: string): string {
  const match = /^s:([^.]+)\./.exec(decodeURIComponent(cookieValue));
  if (!match?.[1]) throw new Error(`not a signed session cookie: ${cookieValue}`);
  return match[1];
}

function sessionCookieOf(client: Client): [string, string] {
  const entry = [...client.cookies].find(([name]) => name.endsWith('shipshape.sid'));
  if (!entry) throw new Error('this client holds no session cookie');
  return entry;
}

const me = (client: Client) => client.get('/api/auth/me').then((res) => res.status);

describe('V3.2.1 a new session at sign-in (no session fixation)', () => {
  it('ignores a session id the attacker made up and planted', async () => {
    const victim = local.client();
    const email = uniqueEmail();
    await signUp(local.client(), email);
    victim.cookies.set('shipshape.sid', encodeURIComponent('s:attacker-chosen-id.forged'));
    const login = await victim.post('/api/auth/login', { json: { email, password } });
    expect(login.status).toBe(200);
    const issued = parseCookie(sessionSetCookie(login.setCookies) ?? '');
    expect(sessionId(issued?.value ?? '')).not.toBe('attacker-chosen-id');

    const attacker = local.client();
    attacker.cookies.set('shipshape.sid', encodeURIComponent('s:attacker-chosen-id.forged'));
    expect(await me(attacker)).toBe(401);
  });

  it("gives a victim signing in with the attacker's planted (real) session a new one the attacker cannot use", async () => {
    const attacker = local.client();
    await signUp(attacker);
    const victim = attacker.clone(); // the attacker's cookie, planted in the victim's browser
    const email = uniqueEmail();
    await signUp(local.client(), email);

    const login = await victim.post('/api/auth/login', { json: { email, password } });
    expect(login.status).toBe(200);
    expect(sessionCookieOf(victim)[1]).not.toBe(sessionCookieOf(attacker)[1]);
    expect((await victim.get('/api/auth/me')).json.user.email).toBe(email);
    // The planted session was replaced, not upgraded: it signs in nobody now.
    expect(await me(attacker)).toBe(401);
  });

  it('issues a new id when the same browser signs in again, and the old id stops working', async () => {
    const browser = local.client();
    const { email } = await signUp(browser);
    const before = browser.clone();
    await browser.post('/api/auth/login', { json: { email, password } });
    expect(sessionCookieOf(browser)[1]).not.toBe(sessionCookieOf(before)[1]);
    expect(await me(browser)).toBe(200);
    expect(await me(before)).toBe(401);
  });
});

describe('V3.2.2/V3.2.4 session tokens', () => {
  it('carry at least 128 random bits, a server signature, and never repeat', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const browser = local.client();
      await signUp(browser);
      const id = sessionId(sessionCookieOf(browser)[1]);
      // uid-safe: 24 random bytes as 32 base64url characters (192 bits).
      expect(id).toMatch(/^[\w-]{32,}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(20);
  });

  it('refuses a token with a forged signature, and any garbage, with 401 and never 5xx', async () => {
    const browser = local.client();
    await signUp(browser);
    const [name, value] = sessionCookieOf(browser);
    const id = sessionId(value);
    const forged = [
      encodeURIComponent(`s:${id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`),
      encodeURIComponent(`s:${id}`),
      id, // unsigned
      `${value.slice(0, -2)}xx`,
      '%E0%A4%A',
      'x'.repeat(4000),
      '',
    ];
    for (const cookie of forged) {
      const attacker = local.client();
      attacker.cookies.set(name, cookie);
      const res = await attacker.get('/api/auth/me');
      expect(res.status, cookie.slice(0, 40)).toBe(401);
    }
  });
});

describe('V3.3 session termination', () => {
  it('V3.3.1: sign-out deletes the session on the server: a copied cookie is worthless after it', async () => {
    const browser = local.client();
    await signUp(browser);
    const stolen = browser.clone();
    const id = sessionId(sessionCookieOf(browser)[1]);
    expect(await me(stolen)).toBe(200);

    expect((await browser.post('/api/auth/logout')).status).toBe(204);
    expect(await me(stolen)).toBe(401);
    expect((await stolen.get('/api/notes')).status).toBe(401);
    const { rows } = await pool.query('select 1 from sessions where sid = $1', [id]);
    expect(rows).toEqual([]);
  });

  it('V3.3.2: a session lasts at most 30 days (7), in the cookie and on the server', async () => {
    const browser = local.client();
    const res = await browser.post('/api/auth/register', {
      json: { email: uniqueEmail(), password },
    });
    const cookie = parseCookie(sessionSetCookie(res.setCookies) ?? '');
    expect(Number(cookie?.expires) - Date.now()).toBeLessThanOrEqual(7 * DAY_S * 1000 + 60_000);
    const { rows } = await pool.query<{ expire: Date }>(
      'select expire from sessions where sid = $1',
      [sessionId(cookie?.value ?? '')],
    );
    expect(rows[0]?.expire.getTime()).toBeLessThanOrEqual(Date.now() + 7 * DAY_S * 1000 + 60_000);
    expect(rows[0]?.expire.getTime()).toBeGreaterThan(Date.now());
  });
});

describe.each(Object.entries(environments))('V3.4 cookie attributes, APP_ENV=%s', (env, setup) => {
  const deployedEnv = env !== 'local';

  it(`V3.4.1-V3.4.3/V3.4.5: the session cookie is HttpOnly, SameSite=Lax, host-only on Path=/, ${deployedEnv ? 'and Secure' : 'not Secure on plain http'}`, async () => {
    const browser = setup.target.client(setup.headers);
    const res = await browser.post('/api/auth/register', {
      json: { email: uniqueEmail(), password },
    });
    expect(res.status).toBe(201);
    const line = sessionSetCookie(res.setCookies);
    expect(line, res.setCookies.join('\n')).toBeDefined();
    const cookie = parseCookie(line ?? '');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toMatch(/^(Lax|Strict)$/);
    expect(cookie?.path).toBe('/');
    expect(cookie?.domain).toBeUndefined(); // host-only: no sibling subdomain receives it
    expect(Boolean(cookie?.secure)).toBe(deployedEnv);
    // V3.4.4: a __Host- name is refused by browsers unless Secure, Path=/ and no Domain.
    if (cookie?.name.startsWith('__Host-')) {
      expect(cookie.secure).toBe(true);
    }
  });

  it('V3.4.1-V3.4.3: the device cookie of the sign-in throttle is HttpOnly, SameSite=Strict, on /api/auth only', async () => {
    const browser = setup.target.client(setup.headers);
    const res = await browser.post('/api/auth/register', {
      json: { email: uniqueEmail(), password },
    });
    const line = res.setCookies.find((cookie) => cookie.includes('shipshape.device='));
    const cookie = parseCookie(line ?? '');
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Strict');
    expect(cookie?.path).toBe('/api/auth');
    expect(cookie?.domain).toBeUndefined();
    expect(Boolean(cookie?.secure)).toBe(deployedEnv);
  });

  if (deployedEnv) {
    it('V3.4.1: never sends the session cookie over plain http, even on a successful sign-in', async () => {
      // Caddy says the client came over http (or nothing says https): the cookie stays home.
      for (const headers of [{ 'X-Forwarded-Proto': 'http' }, {}] as Record<string, string>[]) {
        const res = await setup.target
          .client(headers)
          .post('/api/auth/register', { json: { email: uniqueEmail(), password } });
        expect(res.status).toBe(201);
        expect(sessionSetCookie(res.setCookies)).toBeUndefined();
      }
    });
  }
});
