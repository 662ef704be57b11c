// ASVS 4.0.3 V12 (files and resources), level 1, plus V14.4 headers as they apply to downloads.
// A filename is metadata only: whatever a client sends (paths, NUL, bidirectional overrides,
// thousands of characters), it never reaches a storage key, is stored cleaned, and comes back in
// a Content-Disposition that cannot break out of its header. What is downloaded is never read
// by a browser as a page: the type is decided from the bytes, `nosniff`, `attachment`.
// Uploads go through the browser's protocol (support/app.ts upload()): the name, size and type
// are declared to the API, the bytes go to the bucket, and the worker checks them.
import { crc32 } from 'node:zlib';
import { useTestDatabase } from '@shipshape/db/testing';
import { userPrefix } from '@shipshape/storage';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  databasePool,
  errorLines,
  eventually,
  png,
  signedIn,
  startApp,
  upload,
} from './support/app';
import type { Client, Reply } from '@shipshape/stack/http';

useTestDatabase();

const pool = databasePool();
const target = await startApp();
let user: { client: Client; userId: string };
beforeAll(async () => {
  user = await signedIn(target);
});

// Characters a stored name must not hold: path separators, C0 controls and DEL, and the
// bidirectional controls that make "invoice\u202Etxt.exe" display as "invoiceexe.txt".
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const unsafe = /[/\\\u0000-\u001F\u007F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

/** The exact name a download carries in its RFC 5987 `filename*`. */
function encodedName(disposition: string): string {
  const match = /filename\*=UTF-8''([^;]*)$/.exec(disposition);
  if (!match?.[1]) throw new Error(`no filename* in ${disposition}`);
  return decodeURIComponent(match[1]);
}

function expectSafeDownload(res: Reply) {
  expect(res.status).toBe(200);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  expect(res.headers['content-type']).not.toMatch(/html|xml|svg|javascript/i);
}

describe('V12.3.1/V12.3.2 filenames from the client', () => {
  const names: [string, string][] = [
    ['path traversal', '../../../etc/passwd.txt'],
    ['an absolute path', '/etc/shadow.txt'],
    ['Windows traversal', '..\\..\\windows\\win.ini.txt'],
    ['encoded traversal', '%2e%2e%2f%2e%2e%2fetc.txt'],
    ['a NUL byte', 'report\u0000.pdf.txt'],
    ['line breaks', 'a\r\nContent-Type: text/html\r\n.txt'],
    ['every C0 control', `${String.fromCharCode(...Array.from({ length: 32 }, (_, i) => i))}x.txt`],
    ['a right-to-left override', 'invoice\u202Etxt.exe'],
    ['isolates and marks', '\u2066a\u2069\u200Fb\u061C.txt'],
    ['1,000 characters', `${'long'.repeat(250)}.txt`],
    ['1,000 multi-byte characters', `${'é'.repeat(1000)}.txt`],
    ['a dot', '.'],
    ['two dots', '..'],
    ['nothing but spaces', '   '],
    ['a decomposed accent', 'cafe\u0301.txt'],
    ['markup', '<img src=x onerror=alert(1)>.txt'],
    ['header syntax', "a;b=c,d'e`f.txt"],
    ['a reserved device name', 'CON.txt'],
    ['emoji and CJK', '📄 報告.txt'],
  ];

  it.each(names)(
    '%s: stored cleaned, under a key of the server, sent back in a safe header',
    async (_label, filename) => {
      const { client, userId } = user;
      const created = await upload(client, { filename, bytes: Buffer.from('plain text\n') });
      expect(created.status, created.text).toBe(201);
      const name = created.json.name as string;
      expect(name).not.toMatch(unsafe);
      expect(name.length).toBeGreaterThan(0);
      expect(name.length).toBeLessThanOrEqual(255);
      expect(name).not.toMatch(/^\.\.?$/);
      expect(name).toBe(name.normalize('NFC'));

      // The storage key is the server's: the user's prefix and ids, nothing of the name.
      const { rows } = await pool.query<{ object_key: string; original_name: string }>(
        'select object_key, original_name from files where id = $1',
        [created.json.id],
      );
      const key = rows[0]?.object_key ?? '';
      expect(key.startsWith(userPrefix(userId))).toBe(true);
      expect(key).not.toContain('..');
      expect(key.slice(userPrefix(userId).length)).toMatch(/^[\w./-]+$/);
      expect(rows[0]?.original_name).toBe(name);

      const download = await client.get(created.json.contentUrl);
      expectSafeDownload(download);
      const disposition = download.headers['content-disposition'] ?? '';
      // One header line: a quoted printable-ASCII fallback with no quote, backslash or semicolon
      // inside, then the exact name percent-encoded.
      expect(disposition).toMatch(
        /^attachment; filename="[\x20-\x21\x23-\x3a\x3c-\x5b\x5d-\x7e]*"; filename\*=UTF-8''[\w%.!~-]*$/,
      );
      expect(encodedName(disposition)).toBe(name);
    },
  );

  it.each([
    ['a NUL', 'report\u0000.txt'],
    ['a CR LF', 'a.txt"\r\nContent-Type: text/html\r\nX-Injected: "1'],
    ['a quote', 'a".txt'],
  ])('a name with %s is refused with 4xx or cleaned, never 5xx', async (_label, filename) => {
    const res = await upload(user.client, { filename, bytes: Buffer.from('<p>hi</p>\n') });
    expect([201, 400, 415]).toContain(res.status);
    if (res.status === 201) {
      expect(res.json.name).not.toMatch(unsafe);
      expect(res.json.contentType).toBe('text/plain');
    }
  });
});

describe('V12.5.1/V12.5.2/V14.4.4 downloads are never run as a page', () => {
  const page = Buffer.from('<!doctype html><script>alert(document.cookie)</script>\n');
  const svg = Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>\n',
  );

  it.each([
    ['an HTML page named page.html', 'page.html', page, 'text/html'],
    ['an HTML page named page.txt, declared text/html', 'page.txt', page, 'text/html'],
    ['an SVG with a script', 'image.svg', svg, 'image/svg+xml'],
    ['an SVG with a script, named .xml', 'image.xml', svg, 'application/xml'],
    ['a JavaScript file', 'app.js', Buffer.from('alert(1)\n'), 'application/javascript'],
  ])(
    '%s is refused or served as plain text, as an attachment, with nosniff',
    async (_label, filename, bytes, contentType) => {
      const created = await upload(user.client, { filename, bytes, contentType });
      if (created.status === 415) return; // refused outright: as safe
      expect(created.status, created.text).toBe(201);
      expect(created.json.contentType).toBe('text/plain');
      const download = await user.client.get(created.json.contentUrl);
      expectSafeDownload(download);
      expect(download.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(download.headers['content-disposition']).toMatch(/^attachment;/);
    },
  );

  it('an image with markup after its header is served as that image, as an attachment, with nosniff', async () => {
    const polyglot = Buffer.concat([png(), page]);
    const created = await upload(user.client, { filename: 'polyglot.png', bytes: polyglot });
    expect(created.status, created.text).toBe(201);
    const download = await user.client.get(created.json.contentUrl);
    expectSafeDownload(download);
    expect(download.headers['content-type']).toBe('image/png');
    expect(download.headers['content-disposition']).toMatch(/^attachment;/);
  });

  it('the thumbnail and the export download carry the same protections', async () => {
    const { client } = user;
    const image = await upload(client, { filename: 'photo.png', bytes: png() });
    const thumbnailUrl = await eventually(async () => {
      const res = await client.get(`/api/files/${image.json.id}`);
      expect(res.json.thumbnailUrl).toBeTruthy();
      return res.json.thumbnailUrl as string;
    });
    const thumbnail = await client.get(thumbnailUrl);
    expectSafeDownload(thumbnail);
    expect(thumbnail.headers['content-type']).toBe('image/webp');

    const started = await client.post('/api/exports');
    const downloadUrl = await eventually(async () => {
      const res = await client.get(`/api/exports/${started.json.id}`);
      expect(res.json.status).toBe('ready');
      return res.json.downloadUrl as string;
    });
    const exported = await client.get(downloadUrl);
    expectSafeDownload(exported);
    expect(exported.headers['content-type']).toMatch(/^application\/json/);
    expect(exported.headers['content-disposition']).toMatch(
      /^attachment; filename="shipshape-export-\d{4}-\d{2}-\d{2}\.json"/,
    );
    // The names stored above are in the export as data, never as markup to render.
    expect(exported.json.files.length).toBeGreaterThan(0);
  });
});

describe('V12.1 (level 2, checked anyway): an image that would decode to billions of pixels', () => {
  it('fails to process with a message, and the API goes on answering', async () => {
    // A PNG header claiming 40,000 × 40,000 pixels (4.8 GB decoded) over a few bytes of data.
    const header = png(1, 1);
    header.writeUInt32BE(40_000, 16);
    header.writeUInt32BE(40_000, 20);
    // With its checksum recomputed, so that only the size is odd.
    header.writeUInt32BE(crc32(header.subarray(12, 29)), 29);
    const created = await upload(user.client, { filename: 'bomb.png', bytes: header });
    expect(created.status, created.text).toBe(201);
    const failed = await eventually(async () => {
      const res = await user.client.get(`/api/files/${created.json.id}`);
      expect(res.json.status).toBe('failed');
      return res.json;
    });
    expect(failed.failureReason).toEqual(expect.any(String));
    expect(failed.thumbnailUrl).toBeNull();
    expect((await user.client.get('/api/auth/me')).status).toBe(200);
  });
});

describe('V12.1.1/V12.2.1/V4.2.1 the upload protocol: the API decides, the bucket only stores', () => {
  const start = (client: Client, body: Record<string, unknown>) =>
    client.post('/api/files/uploads', { json: body });

  it('refuses a file over the size limit before a byte is sent, saying the limit', async () => {
    const res = await start(user.client, {
      name: 'big.pdf',
      size: 2 ** 40,
      type: 'application/pdf',
    });
    expect(res.status).toBe(413);
    expect(res.json.error).toEqual({ code: 'too_large', message: 'Files can be at most 100 MB.' });
  });

  it.each([
    ['an executable', 'setup.exe', 'application/x-msdownload'],
    ['an HTML page', 'page.html', 'text/html'],
    ['an SVG', 'image.svg', 'image/svg+xml'],
    ['a PNG name declared as a PDF', 'cat.png', 'application/pdf'],
  ])('refuses %s by its declared type with 415, naming the file', async (_label, name, type) => {
    const res = await start(user.client, { name, size: 10, type });
    expect(res.status).toBe(415);
    expect(res.json.error.code).toBe('unsupported_type');
    expect(res.json.error.message).toContain(name);
  });

  it('refuses, after upload, bytes that are not the declared type: object deleted, reason shown', async () => {
    const { client, userId } = await signedIn(target);
    const page = Buffer.from('<!doctype html><script>alert(1)</script>\n');
    const created = await upload(client, { filename: 'photo.png', bytes: page });
    expect(created.status, created.text).toBe(201);
    const refused = await eventually(async () => {
      const res = await client.get(`/api/files/${created.json.id}`);
      expect(res.json.status).toBe('refused');
      return res.json;
    });
    expect(refused.failureReason).toBe(
      'photo.png is not a PNG image: it looks like text, so it was not kept.',
    );
    expect((await client.get(created.json.contentUrl)).status).toBe(404);
    const { rows } = await pool.query('select 1 from files where user_id = $1', [userId]);
    expect(rows).toHaveLength(1);
  });

  it("answers another user's upload id with 404 on every step, the same as an unknown id", async () => {
    const owner = await signedIn(target);
    const started = await start(owner.client, { name: 'a.txt', size: 3, type: 'text/plain' });
    const { id } = started.json.upload as { id: string };
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const uploadId of [id, unknown]) {
      const parts = await user.client.post(`/api/files/uploads/${uploadId}/parts`, {
        json: { partNumbers: [1] },
      });
      const complete = await user.client.post(`/api/files/uploads/${uploadId}/complete`, {
        json: { parts: [{ partNumber: 1, etag: '"0"' }] },
      });
      const cancel = await user.client.delete(`/api/files/uploads/${uploadId}`);
      expect([parts.status, complete.status, cancel.status]).toEqual([404, 404, 404]);
      expect(parts.json.error.message).toBe('Upload not found.');
    }
    // The owner's upload goes on.
    const signed = await owner.client.post(`/api/files/uploads/${id}/parts`, {
      json: { partNumbers: [1] },
    });
    expect(signed.status).toBe(200);
  });

  it('answers a completed upload completed again with 409, and the parts of another with 400', async () => {
    const { client } = await signedIn(target);
    const first = await upload(client, { filename: 'one.txt', bytes: Buffer.from('one\n') });
    expect(first.status).toBe(201);
    const replay = await client.post(`/api/files/uploads/${first.json.id}/complete`, {
      json: { parts: [{ partNumber: 1, etag: '"0"' }] },
    });
    expect(replay.status).toBe(409);
    expect(replay.json.error.code).toBe('already_completed');

    // Another upload's part, by its ETag: S3 (and the embedded server) refuse it.
    const other = await start(client, { name: 'two.txt', size: 4, type: 'text/plain' });
    const otherId = (other.json.upload as { id: string }).id;
    const signed = await client.post(`/api/files/uploads/${otherId}/parts`, {
      json: { partNumbers: [1] },
    });
    const put = await fetch(signed.json.parts[0].url as string, { method: 'PUT', body: 'two\n' });
    const mine = await start(client, { name: 'three.txt', size: 4, type: 'text/plain' });
    const borrowed = await client.post(
      `/api/files/uploads/${(mine.json.upload as { id: string }).id}/complete`,
      { json: { parts: [{ partNumber: 1, etag: put.headers.get('etag') }] } },
    );
    expect(borrowed.status).toBe(400);
    expect(borrowed.json.error.code).toBe('invalid_parts');
  });

  it('keeps each user within the quota, counting uploads under way', async () => {
    const { client } = await signedIn(target);
    const limits = await client.get('/api/files/limits');
    const { quotaBytes, maxBytes } = limits.json as { quotaBytes: number; maxBytes: number };
    const answers = [];
    // Uploads of the largest size until the quota is reached: the next one is refused.
    for (let used = 0; used + maxBytes <= quotaBytes; used += maxBytes) {
      answers.push(
        (await start(client, { name: 'f.pdf', size: maxBytes, type: 'application/pdf' })).status,
      );
    }
    expect(answers.every((status) => status === 201)).toBe(true);
    const over = await start(client, { name: 'f.pdf', size: maxBytes, type: 'application/pdf' });
    expect(over.status).toBe(413);
    expect(over.json.error.code).toBe('quota_exceeded');
    expect(over.json.error.message).toMatch(/left|full/);
  });

  it('signs part URLs for the declared length only, valid for 15 minutes', async () => {
    const started = await start(user.client, {
      name: 'a.pdf',
      size: 9 * 1024 * 1024,
      type: 'application/pdf',
    });
    const { id } = started.json.upload as { id: string };
    const signed = await user.client.post(`/api/files/uploads/${id}/parts`, {
      json: { partNumbers: [1, 2, 2] },
    });
    expect(signed.status).toBe(200);
    const parts = signed.json.parts as { partNumber: number; url: string; size: number }[];
    expect(parts.map((part) => [part.partNumber, part.size])).toEqual([
      [1, 8 * 1024 * 1024],
      [2, 1024 * 1024],
    ]);
    for (const { url } of parts) {
      const query = new URL(url).searchParams;
      expect(query.get('X-Amz-Expires')).toBe('900');
      expect(query.get('X-Amz-SignedHeaders')).toContain('content-length');
    }
    const beyond = await user.client.post(`/api/files/uploads/${id}/parts`, {
      json: { partNumbers: [3] },
    });
    expect(beyond.status).toBe(400);
    expect(beyond.json.error.code).toBe('invalid_parts');
    await user.client.delete(`/api/files/uploads/${id}`);
  });
});

it('V7.4.1: logged no unhandled error for anything above', () => {
  expect(errorLines(target.log)).toEqual([]);
});
