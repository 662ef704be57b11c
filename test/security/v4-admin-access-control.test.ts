// ASVS 4.0.3 V4 (access control), vertical: the admin area (apps/api/src/admin) against everyone
// who is not an active admin. Every route behind requireAdmin, read from the source
// (support/routes.ts), so an admin route added later is covered without editing this file:
// - a signed-in user is refused with 403 and changes nothing (V4.1.1, V4.1.3, V4.1.5);
// - a disabled admin is signed out: 401 (V4.1.3, V4.2.1);
// - an admin's browser refuses every admin write from another site (V4.2.2: CSRF);
// - a demoted admin loses the area at the very next request (V4.1.3: the role is read fresh).
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '@shipshape/db/testing';
import type { Client } from '@shipshape/stack/http';
import { databasePool, signedIn, startApp } from './support/app';
import { apiRoutes, describeRoute, fillPath, type Route } from './support/routes';

useTestDatabase();

const target = await startApp();
const sql = databasePool();
const adminRoutes = apiRoutes().filter((route) => route.requiresAdmin);
const adminWrites = adminRoutes.filter((route) => route.method !== 'GET');
const asCases = (routes: Route[]) => routes.map((route) => [describeRoute(route), route] as const);

const setRole = (userId: string, role: 'user' | 'admin') =>
  sql.query('update users set role = $2 where id = $1', [userId, role]);

/** A signed-in browser of a new account made an admin. */
async function signedInAdmin() {
  const admin = await signedIn(target);
  await setRole(admin.userId, 'admin');
  return admin;
}

/** What an admin action would change about `userId`, as the database holds it. */
async function stateOf(userId: string) {
  const { rows } = await sql.query(
    `select role, disabled_at, (select count(*) from sessions
        where sess #>> '{passport,user,id}' = $1::text)::int as sessions,
       (select count(*) from admin_audit where target_id = $1::uuid)::int as audit
     from users where id = $1::uuid`,
    [userId],
  );
  return rows[0] as { role: string; disabled_at: Date | null; sessions: number; audit: number };
}

it('V4.1.5: finds every admin route in the source, each behind requireAdmin', () => {
  expect(adminRoutes.map(describeRoute).sort()).toEqual([
    'GET /api/admin/audit',
    'GET /api/admin/users',
    'GET /api/admin/users/:id',
    'POST /api/admin/users/:id/demote',
    'POST /api/admin/users/:id/disable',
    'POST /api/admin/users/:id/enable',
    'POST /api/admin/users/:id/promote',
    'POST /api/admin/users/:id/sign-out',
  ]);
});

describe('V4.1.3 a signed-in user who is not an admin', () => {
  let user: Client;
  let victim: { userId: string };
  let before: Awaited<ReturnType<typeof stateOf>>;
  beforeAll(async () => {
    user = (await signedIn(target)).client;
    victim = await signedInAdmin();
    before = await stateOf(victim.userId);
  });

  it.each(asCases(adminRoutes))('%s answers 403', async (_name, route) => {
    const res = await user.request(
      route.method,
      fillPath(route.path, () => victim.userId),
    );
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('admin_only');
  });

  it('changed nothing about the admin they aimed at', async () => {
    expect(await stateOf(victim.userId)).toEqual(before);
  });
});

describe('V4.1.3 a disabled admin', () => {
  let admin: Client;
  beforeAll(async () => {
    const disabled = await signedInAdmin();
    admin = disabled.client;
    // Disabled in the database, the session row left in place: the session query must refuse it.
    await sql.query('update users set disabled_at = now() where id = $1', [disabled.userId]);
  });

  it.each(asCases(adminRoutes))('%s answers 401', async (_name, route) => {
    const res = await admin.request(
      route.method,
      fillPath(route.path, () => randomUUID()),
    );
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('unauthenticated');
  });
});

describe("V4.2.2 another site, through an admin's browser (CSRF)", () => {
  const crossSite = { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' };
  let admin: Client;
  let victim: { userId: string };
  let before: Awaited<ReturnType<typeof stateOf>>;
  beforeAll(async () => {
    admin = (await signedInAdmin()).client;
    victim = await signedInAdmin();
    before = await stateOf(victim.userId);
  });

  it.each(asCases(adminWrites))('%s is refused with 403', async (_name, route) => {
    const path = fillPath(route.path, () => victim.userId);
    const res = await admin.request(route.method, path, { headers: crossSite });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('cross_site_request');
  });

  it('changed nothing, and the same requests from the page itself are accepted', async () => {
    expect(await stateOf(victim.userId)).toEqual(before);
    const res = await admin.post(`/api/admin/users/${victim.userId}/sign-out`, {
      headers: { 'Sec-Fetch-Site': 'same-origin' },
    });
    expect(res.status).toBe(200);
  });
});

it('V4.1.3: a demoted admin is refused at the very next request', async () => {
  const admin = await signedInAdmin();
  expect((await admin.client.get('/api/admin/users')).status).toBe(200);
  await setRole(admin.userId, 'user');
  expect((await admin.client.get('/api/admin/users')).status).toBe(403);
});
