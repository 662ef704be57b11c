// Two API replicas serve one site: whichever answers, a visitor is the same person to it. The
// session lives in Postgres (a replica keeps a copy only until Postgres announces a change to it)
// and the sign-in throttle counts in Redis.
// These requests go to each replica directly, as Caddy would forward them, so the test knows
// which one answered (through Caddy the choice is random). Only the production project runs it.
import { expect, test } from '@playwright/test';
import { send, type Reply } from '@shipshape/stack/http';
import { production } from './topology';

const [first, second] = production.replicaUrls as [string, string];
let address = 0;

/** A request as Caddy forwards it: the site's Host and scheme, and a client address of its own. */
function viaProxy(
  replica: string,
  method: string,
  path: string,
  init: { cookie?: string; body?: object } = {},
) {
  address += 1;
  return send(`${replica}${path}`, {
    method,
    headers: {
      host: new URL(production.url).host,
      origin: production.url,
      'x-forwarded-proto': 'https',
      'x-forwarded-for': `198.51.100.${address % 250}`,
      'content-type': 'application/json',
      ...(init.cookie && { cookie: init.cookie }),
    },
    body: init.body && JSON.stringify(init.body),
  });
}

const sessionCookie = (res: Reply) =>
  (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
const json = (res: Reply) => JSON.parse(res.body.toString()) as Record<string, unknown>;
const newEmail = () => `replicas-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`;
const password = 'correct horse battery staple';

test('a session made on one replica is honoured, and ended, on the other', async () => {
  const email = newEmail();
  const registered = await viaProxy(first, 'POST', '/api/auth/register', {
    body: { email, password },
  });
  expect(registered.status).toBe(201);
  const cookie = sessionCookie(registered);
  expect(cookie).not.toBe('');

  const onSecond = await viaProxy(second, 'GET', '/api/auth/session', { cookie });
  expect(json(onSecond)).toMatchObject({ user: { email } });

  expect((await viaProxy(second, 'POST', '/api/auth/logout', { cookie })).status).toBe(204);
  const onFirst = await viaProxy(first, 'GET', '/api/auth/session', { cookie });
  expect(json(onFirst)).toMatchObject({ user: null });
});

test('the sign-in throttle counts guesses made on both replicas together', async () => {
  const email = newEmail();
  expect(
    (await viaProxy(first, 'POST', '/api/auth/register', { body: { email, password } })).status,
  ).toBe(201);

  // The per-account limit is 10 failures, wherever they land, each from another address.
  const statuses: number[] = [];
  for (let i = 0; i < 12; i += 1) {
    const replica = i % 2 === 0 ? first : second;
    const guess = await viaProxy(replica, 'POST', '/api/auth/login', {
      body: { email, password: `wrong guess ${i}` },
    });
    statuses.push(guess.status);
  }
  expect(statuses).toEqual([...Array<number>(10).fill(401), 429, 429]);

  // From a browser that never signed in to it, even the right password now waits.
  for (const replica of [first, second]) {
    const res = await viaProxy(replica, 'POST', '/api/auth/login', { body: { email, password } });
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  }
});
