// ASVS 4.0.3 V5 (validation, sanitization and encoding) and V13.2 (RESTful input), level 1:
// fields a client may not set are ignored (mass assignment), bodies that are malformed, too
// large, too deep, in another encoding or built to pollute prototypes get a 4xx JSON answer and
// never a 500, and what comes back is JSON that no browser will read as a page.
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { useTestDatabase } from '@shipshape/db/testing';
import { userPrefix } from '@shipshape/storage';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  errorLines,
  expectNoLeak,
  password,
  signedIn,
  signUp,
  startApp,
  uniqueEmail,
  upload,
  databasePool,
} from './support/app';
import { send, type Client, type Reply } from '@shipshape/stack/http';

useTestDatabase();

const pool = databasePool();

const target = await startApp();
// The file's database answers once the tests start (useTestDatabase creates it in beforeAll).
let alice: Client;
let aliceId: string;
let bob: Client;
let bobId: string;
beforeAll(async () => {
  ({ client: alice, userId: aliceId } = await signedIn(target));
  ({ client: bob, userId: bobId } = await signedIn(target));
});

const ownerOf = async (table: 'notes' | 'files' | 'exports', id: string) =>
  (await pool.query<{ user_id: string }>(`select user_id from ${table} where id = $1`, [id]))
    .rows[0]?.user_id;

/** A client mistake: 4xx, a JSON error with a code and a message, no stack, no source path. */
function expectRefused(res: Reply, status?: number) {
  if (status) expect(res.status, res.text).toBe(status);
  expect(res.status, res.text).toBeGreaterThanOrEqual(400);
  expect(res.status, res.text).toBeLessThan(500);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.json.error).toEqual(
    expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
  );
  expectNoLeak(res.text);
}

describe('V5.1.2 mass assignment: fields a client may not set are ignored', () => {
  const chosenId = randomUUID();
  const past = '2001-01-01T00:00:00.000Z';
  const extra = () => ({
    id: chosenId,
    userId: bobId,
    user_id: bobId,
    createdAt: past,
    updatedAt: past,
    status: 'ready',
    role: 'admin',
  });

  it('a new note belongs to whoever is signed in, with an id and dates of the server', async () => {
    const res = await alice.post('/api/notes', { json: { title: 'mine', ...extra() } });
    expect(res.status).toBe(201);
    expect(res.json.id).not.toBe(chosenId);
    expect(res.json.createdAt).not.toBe(past);
    expect(res.json).not.toHaveProperty('userId');
    expect(await ownerOf('notes', res.json.id)).toBe(aliceId);
    expect((await bob.get(`/api/notes/${res.json.id}`)).status).toBe(404);
  });

  it('an edit changes the title and body only', async () => {
    const note = await alice.post('/api/notes', { json: { title: 'before' } });
    const res = await alice.patch(`/api/notes/${note.json.id}`, {
      json: { title: 'after', ...extra() },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: note.json.id, title: 'after' });
    expect(res.json.createdAt).toBe(note.json.createdAt);
    expect(await ownerOf('notes', note.json.id)).toBe(aliceId);
  });

  it('a sign-up cannot choose its id, its hash, a role or a verified address', async () => {
    const email = uniqueEmail();
    const planted = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA';
    const res = await send(`${target.base}/api/auth/register`, {
      json: {
        email,
        password,
        ...extra(),
        passwordHash: planted,
        password_hash: planted,
        emailVerified: true,
        emailVerifiedAt: past,
        email_verified_at: past,
      },
    });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({
      user: { id: expect.any(String), email, emailVerified: false, role: 'user' },
    });
    expect(res.json.user.id).not.toBe(chosenId);
    const { rows } = await pool.query<{ password_hash: string }>(
      'select password_hash from users where email = $1',
      [email],
    );
    expect(rows[0]?.password_hash).not.toBe(planted);
    expect(
      (await send(`${target.base}/api/auth/login`, { json: { email, password } })).status,
    ).toBe(200);
  });

  it('an upload cannot set its owner, storage key, checksum, type or status', async () => {
    const fields = {
      userId: bobId,
      objectKey: `${userPrefix(bobId)}planted`,
      sha256: 'f'.repeat(64),
      contentType: 'text/html',
      status: 'ready',
      size: '1',
    };
    const res = await upload(alice, { filename: 'a.txt', bytes: Buffer.from('hello\n') }, fields);
    expect(res.status, res.text).toBe(201);
    expect(res.json.contentType).toBe('text/plain');
    expect(res.json.size).toBe(6);
    const { rows } = await pool.query<{ user_id: string; object_key: string; sha256: string }>(
      'select user_id, object_key, sha256 from files where id = $1',
      [res.json.id],
    );
    expect(rows[0]?.user_id).toBe(aliceId);
    expect(rows[0]?.object_key.startsWith(userPrefix(aliceId))).toBe(true);
    expect(rows[0]?.sha256).not.toBe('f'.repeat(64));
  });

  it('an export request cannot name another user or a status', async () => {
    const res = await alice.post('/api/exports', { json: extra() });
    expect(res.status).toBe(202);
    expect(await ownerOf('exports', res.json.id)).toBe(aliceId);
    expect((await bob.get('/api/exports/latest')).json.export).toBeNull();
  });
});

describe('V5.1.3/V5.1.4/V13.2.2 bodies that are not what the API reads', () => {
  const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const nestedObjects = (depth: number) => '{"title":'.repeat(depth) + '"x"' + '}'.repeat(depth);
  const json = { 'Content-Type': 'application/json' };
  const cases: [string, string | Buffer, Record<string, string>, number?][] = [
    ['not JSON at all', 'title=x', json, 400],
    ['truncated JSON', '{"title": "x"', json, 400],
    ['a bare string', '"x"', json, 400],
    ['null', 'null', json, 400],
    ['a number', '123', json, 400],
    ['an array', '[{"title": "x"}]', json, 400],
    ['40,000 nested arrays', nestedArrays(40_000), json, 400],
    ['10,000 nested objects', nestedObjects(10_000), json, 400],
    ['a title 40,000 arrays deep', `{"title":${nestedArrays(40_000)}}`, json, 400],
    ['a title of the wrong type', '{"title": {"$ne": null}}', json, 400],
    ['a number too large for a double', '{"title": 1e400}', json, 400],
    ['a body over the 100 kB limit', JSON.stringify({ title: 'x'.repeat(200_000) }), json, 413],
    ['JSON sent as text/plain', '{"title": "x"}', { 'Content-Type': 'text/plain' }, 400],
    ['a form post', 'title=x', { 'Content-Type': 'application/x-www-form-urlencoded' }, 400],
    ['multipart without a boundary', '--x--', { 'Content-Type': 'multipart/form-data' }, 400],
    ['no Content-Type', '{"title": "x"}', {}, 400],
    [
      'a charset other than UTF-8',
      '{"title": "x"}',
      { 'Content-Type': 'application/json; charset=latin1' },
      415,
    ],
    [
      'an unknown Content-Encoding',
      '{"title": "x"}',
      { ...json, 'Content-Encoding': 'compress' },
      415,
    ],
    ['gzip that is not gzip', '{"title": "x"}', { ...json, 'Content-Encoding': 'gzip' }, 400],
    [
      // 10 MB of spaces in 10 kB: the limit applies to what it inflates to.
      'a gzip bomb',
      gzipSync(
        Buffer.concat([
          Buffer.from('{"title": "x"'),
          Buffer.alloc(10_000_000, ' '),
          Buffer.from('}'),
        ]),
      ),
      { ...json, 'Content-Encoding': 'gzip' },
      413,
    ],
  ];

  it.each(cases)('%s: a 4xx JSON answer, never 5xx', async (_name, body, headers, status) => {
    const res = await alice.post('/api/notes', { body, headers });
    expectRefused(res, status);
  });

  it('reads gzip-compressed JSON that is what it says', async () => {
    const res = await alice.post('/api/notes', {
      body: gzipSync('{"title": "compressed"}'),
      headers: { ...json, 'Content-Encoding': 'gzip' },
    });
    expect(res.status).toBe(201);
  });

  it('does not let __proto__ or constructor.prototype reach any object', async () => {
    const res = await alice.post('/api/notes', {
      body: '{"title": "x", "__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}',
      headers: json,
    });
    expect(res.status).toBe(201);
    // The server runs in this process: a polluted prototype would show here.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('answers lone surrogates and other odd Unicode without a 5xx', async () => {
    for (const title of ['\ud800', 'a\udfffb', '\u{10FFFF}', '\uFEFF', 'e\u0301', '\u202Eevil']) {
      const res = await alice.post('/api/notes', { json: { title } });
      expect(res.status, JSON.stringify(title)).toBeLessThan(500);
    }
  });
});

describe('V5.1.3 query strings and path parameters', () => {
  const paths = [
    '/api/notes?limit=-1',
    '/api/notes?limit=0',
    '/api/notes?limit=101',
    '/api/notes?limit=1e3',
    '/api/notes?limit=abc',
    '/api/notes?limit=1&limit=2',
    '/api/notes?cursor=%E0%A4%A',
    '/api/notes?cursor=not-a-cursor',
    `/api/notes?cursor=${Buffer.from('{"t":"2020-01-01T00:00:00Z","id":"\' or 1=1 --"}').toString('base64url')}`,
    `/api/files?cursor=${'A'.repeat(8000)}`,
    '/api/notes/%',
    '/api/notes/%E0%A4%A',
    '/api/notes/%00',
    '/api/notes/..%2f..%2fetc%2fpasswd',
    '/api/files/..%2F..%2F/content',
    `/api/notes/${'9'.repeat(8000)}`,
    '/api/notes/00000000-0000-0000-0000-000000000000%27%20or%201=1',
    `/api/exports/${randomUUID()}/download?x=%ZZ`,
  ];
  it.each(paths)('GET %s: a 4xx JSON answer, never 5xx', async (path) => {
    expectRefused(await alice.get(path));
  });

  it('ignores a key it does not know, such as limit[]', async () => {
    const res = await alice.get('/api/notes?limit[]=1&admin=true');
    expect(res.status).toBe(200);
  });

  it('answers a query string larger than the header limit with 431, not a crash', async () => {
    const res = await alice.get(`/api/notes?cursor=${'A'.repeat(20_000)}`);
    expect(res.status).toBe(431);
  });
});

describe('V5.3 output encoding and injection', () => {
  it('V5.3.4: stores SQL and script text verbatim (parameterised queries) and sends it back as JSON', async () => {
    const title = `'); drop table notes; -- <script>alert(1)</script>`;
    const note = await alice.post('/api/notes', { json: { title, body: '${7*7} {{7*7}}' } });
    expect(note.status).toBe(201);
    const res = await alice.get(`/api/notes/${note.json.id}`);
    expect(res.json).toMatchObject({ title, body: '${7*7} {{7*7}}' });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('V5.3.3: reflects a path holding markup only inside a JSON error, never as HTML', async () => {
    const res = await alice.get('/api/%3Csvg%20onload%3Dalert(1)%3E');
    expectRefused(res, 404);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('V5.3.4: a sign-in with SQL in the email is a plain refusal', async () => {
    for (const email of ["a' or '1'='1@example.com", "x@example.com'; --", '*)(uid=*))(|(uid=*']) {
      const res = await send(`${target.base}/api/auth/login`, {
        json: { email, password },
      });
      expect([400, 401]).toContain(res.status);
    }
  });
});

it('V7.4.1: logged no unhandled error for anything above', async () => {
  // Both accounts still work: nothing above broke a session or the database.
  expect((await alice.get('/api/auth/me')).status).toBe(200);
  expect((await bob.get('/api/auth/me')).status).toBe(200);
  await signUp(target.client());
  expect(errorLines(target.log)).toEqual([]);
});
