// ASVS 4.0.3 V4 (access control), level 1: every route read from the source (support/routes.ts)
// is checked, so a route added later is covered without editing this file:
// - anonymous requests are refused on every route behind requireUser (V4.1.1, V4.1.5);
// - another user's ids get 404 on every route with an :id, exactly as an id that does not exist,
//   and change nothing (V4.1.2, V4.1.3, V4.2.1: no IDOR, no existence oracle);
// - every state-changing route refuses a cross-site request (V4.2.2: CSRF).
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '@shipshape/db/testing';
import { eventually, password, png, signedIn, startApp, uniqueEmail, upload } from './support/app';
import type { Client, RequestOptions } from '@shipshape/stack/http';
import {
  apiRoutes,
  describeRoute,
  fillPath,
  resourceOf,
  type Resource,
  type Route,
} from './support/routes';

useTestDatabase();

const target = await startApp();
const routes = apiRoutes();
const stateChanging = routes.filter((route) => route.method !== 'GET');

interface Owned {
  client: Client;
  ids: Record<Resource, string>;
}

/**
 * A user with one of everything: a note, an image with its thumbnail, a finished export, and
 * the signed-in device it holds.
 */
async function userWithEverything(): Promise<Owned> {
  const { client } = await signedIn(target);
  const note = await client.post('/api/notes', { json: { title: 'private', body: 'secret' } });
  expect(note.status).toBe(201);
  const file = await upload(
    client,
    { filename: 'mine.png', bytes: png() },
    { noteId: note.json.id },
  );
  expect(file.status, file.text).toBe(201);
  const exported = await client.post('/api/exports');
  expect(exported.status).toBe(202);
  await eventually(async () => {
    const res = await client.get(`/api/files/${file.json.id}`);
    expect(res.json.thumbnailUrl).toBeTruthy();
  });
  await eventually(async () => {
    expect((await client.get(`/api/exports/${exported.json.id}`)).json.status).toBe('ready');
  });
  const [device] = (await client.get('/api/account/sessions')).json.sessions as { id: string }[];
  const ids = { notes: note.json.id, files: file.json.id, exports: exported.json.id };
  return { client, ids: { ...ids, sessions: device?.id ?? '' } };
}

/** A body the route would accept from its owner, so only ownership can be the reason to refuse. */
function validRequest(route: Route, noteId?: string): RequestOptions {
  // The upload protocol's bodies (files/schema.ts): an upload of the id in the path.
  if (route.method === 'POST' && route.path === '/api/files/uploads') {
    return { json: { name: 'a.txt', size: 6, type: 'text/plain', ...(noteId && { noteId }) } };
  }
  if (route.path === '/api/files/uploads/:id/parts') return { json: { partNumbers: [1] } };
  if (route.path === '/api/files/uploads/:id/complete') {
    return { json: { parts: [{ partNumber: 1, etag: '"0"' }] } };
  }
  if (route.path.startsWith('/api/auth/')) return { json: { email: uniqueEmail(), password } };
  if (route.method === 'POST' || route.method === 'PATCH') {
    return { json: { title: 'changed', body: 'changed' } };
  }
  return {};
}

it('V4.1.5: finds the routes to check in the source, and pins the public ones', () => {
  const names = routes.map(describeRoute);
  expect(names).toEqual(
    expect.arrayContaining([
      'POST /api/auth/login',
      'GET /api/notes/:id',
      'PATCH /api/notes/:id',
      'GET /api/files/:id/content',
      'GET /api/files/:id/thumbnail',
      'GET /api/exports/:id/download',
      'GET /healthz',
    ]),
  );
  // V4.1.5 deny by default: a new public route has to be added here on purpose.
  const open = routes.filter((route) => !route.requiresUser).map(describeRoute);
  expect(open.sort()).toEqual([
    'GET /api/auth/session',
    'GET /api/version',
    'GET /healthz',
    'GET /readyz',
    'POST /api/auth/confirm-email',
    'POST /api/auth/forgot-password',
    'POST /api/auth/login',
    'POST /api/auth/logout',
    'POST /api/auth/register',
    'POST /api/auth/reset-password',
    'POST /api/auth/verify-email',
  ]);
});

describe('V4.1.1 anonymous requests', () => {
  it.each(
    routes
      .filter((route) => route.requiresUser)
      .map((route) => [describeRoute(route), route] as const),
  )('%s answers 401 without a session', async (_name, route) => {
    const path = fillPath(route.path, () => randomUUID());
    const res = await target.client().request(route.method, path, validRequest(route));
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('unauthenticated');
  });
});

describe("V4.1.2/V4.1.3/V4.2.1 another user's resources (IDOR)", () => {
  let owner: Owned;
  let other: Client;
  beforeAll(async () => {
    owner = await userWithEverything();
    other = (await signedIn(target)).client;
  });

  // An admin route names any user's id by design: v4-admin-access-control.test.ts checks those.
  const withId = routes.filter((route) => route.path.includes(':id') && !route.requiresAdmin);
  it.each(withId.map((route) => [describeRoute(route), route] as const))(
    "%s answers another user's id with 404, the same answer as an id that does not exist",
    async (_name, route) => {
      const kind = resourceOf(route);
      if (!kind) throw new Error(`no resource kind for ${describeRoute(route)}`);
      const theirs = await other.request(
        route.method,
        fillPath(route.path, () => owner.ids[kind]),
        validRequest(route),
      );
      const missing = await other.request(
        route.method,
        fillPath(route.path, () => randomUUID()),
        validRequest(route),
      );
      expect(theirs.status).toBe(404);
      expect(theirs.json).toEqual(missing.json);
    },
  );

  it("refuses a reference to another user's note in an upload, and keeps nothing", async () => {
    const res = await other.request(
      'POST',
      '/api/files/uploads',
      validRequest(
        routes.find(
          (route) => route.method === 'POST' && route.path === '/api/files/uploads',
        ) as Route,
        owner.ids.notes,
      ),
    );
    expect(res.status).toBe(404);
    expect((await other.get('/api/files')).json.files).toEqual([]);
  });

  it("lists nothing of another user's", async () => {
    expect((await other.get('/api/notes')).json.notes).toEqual([]);
    expect((await other.get('/api/files')).json.files).toEqual([]);
    expect((await other.get('/api/exports/latest')).json.export).toBeNull();
    const devices = (await other.get('/api/account/sessions')).json.sessions as { id: string }[];
    expect(devices.map((device) => device.id)).not.toContain(owner.ids.sessions);
    expect(devices).toHaveLength(1);
  });

  it('left every resource of the owner as it was', async () => {
    const { client, ids } = owner;
    const note = await client.get(`/api/notes/${ids.notes}`);
    expect(note.json).toMatchObject({ title: 'private', body: 'secret' });
    expect((await client.get(`/api/files/${ids.files}/content`)).status).toBe(200);
    expect((await client.get(`/api/files/${ids.files}/thumbnail`)).status).toBe(200);
    expect((await client.get(`/api/exports/${ids.exports}/download`)).status).toBe(200);
    const devices = (await client.get('/api/account/sessions')).json.sessions as { id: string }[];
    expect(devices.map((device) => device.id)).toContain(ids.sessions);
  });
});

describe('V4.2.2 cross-site requests (CSRF)', () => {
  // What a page on another site makes a browser send, old and new browsers alike.
  const crossSite = {
    'another site': { 'Sec-Fetch-Site': 'cross-site', Origin: 'https://evil.example' },
    'a sibling subdomain': { 'Sec-Fetch-Site': 'same-site', Origin: 'https://evil.notes.example' },
    'a foreign Origin, no Sec-Fetch-Site': { Origin: 'https://evil.example' },
    'a sandboxed page (Origin: null)': { Origin: 'null' },
  };
  let victim: Owned;
  beforeAll(async () => {
    victim = await userWithEverything();
  });

  describe.each(Object.entries(crossSite))('from %s', (_from, headers) => {
    it.each(stateChanging.map((route) => [describeRoute(route), route] as const))(
      '%s is refused with 403',
      async (_name, route) => {
        const kind = resourceOf(route);
        const path = fillPath(route.path, () => (kind ? victim.ids[kind] : randomUUID()));
        const request = validRequest(route);
        const res = await victim.client.request(route.method, path, {
          ...request,
          headers: { ...request.headers, ...headers },
        });
        expect(res.status).toBe(403);
        expect(res.json.error.code).toBe('cross_site_request');
      },
    );
  });

  it('changed nothing: the note, the file, the export and the session are all still there', async () => {
    const { client, ids } = victim;
    expect((await client.get(`/api/notes/${ids.notes}`)).json.title).toBe('private');
    expect((await client.get('/api/notes')).json.notes).toHaveLength(1);
    expect((await client.get('/api/files')).json.files).toHaveLength(1);
    expect((await client.get(`/api/exports/${ids.exports}`)).status).toBe(200);
    expect((await client.get('/api/auth/me')).status).toBe(200); // the cross-site logout was refused
  });

  it('has no state-changing GET: a link or an <img> on another site changes nothing', async () => {
    const { client } = victim;
    for (const path of ['/api/auth/logout', '/api/exports']) {
      const res = await client.get(path, { headers: crossSite['another site'] });
      expect(res.status).toBeLessThan(500);
    }
    expect((await client.get('/api/auth/me')).status).toBe(200);
    expect((await client.get('/api/exports/latest')).json.export.id).toBe(victim.ids.exports);
  });
});
