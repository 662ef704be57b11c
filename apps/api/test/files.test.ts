// Files over real HTTP, real Postgres and the run's embedded S3, with the browser's upload
// protocol played by test/upload.ts: parts go to the bucket on the URLs the API signs.
import { createHash, randomBytes } from 'node:crypto';
import { jobWait, useTestDatabase } from '@shipshape/db/testing';
import { eq } from 'drizzle-orm';
import { files } from '@shipshape/db';
import { userPrefix } from '@shipshape/storage';
import sharp from 'sharp';
import request from 'supertest';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { cleanFilename } from '../src/files/content-disposition';
import { buildTestApp, password, sessionCookie, signedUpAgent, uniqueEmail } from './helpers';
import { sendParts, startBody, startUpload, upload } from './upload';

useTestDatabase();

const MiB = 1024 * 1024;
const app = buildTestApp({ UPLOAD_MAX_BYTES: String(60 * MiB) });
const { db, storage } = app.deps;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const png = () =>
  sharp({ create: { width: 640, height: 480, channels: 3, background: '#0d9488' } })
    .png()
    .toBuffer();
/** Bytes that start like a PDF, and not compressible. */
const pdfLike = (size: number) => Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(size - 9)]);

async function objectsOf(userId: string) {
  const keys: string[] = [];
  for await (const object of storage.list(userPrefix(userId))) keys.push(object.key);
  return keys;
}

const rowsOf = (userId: string) => db.select().from(files).where(eq(files.userId, userId));

type Agent = ReturnType<typeof request.agent>;
const download = async (agent: Agent, url: string) => {
  const res = await agent
    .get(url)
    .buffer(true)
    .parse((response, done) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => done(null, Buffer.concat(chunks)));
    })
    .expect(200);
  return { res, bytes: res.body as Buffer };
};

const settled = (agent: Agent, id: string) =>
  vi.waitFor(async () => {
    const { body } = await agent.get(`/api/files/${id}`).expect(200);
    expect(['ready', 'failed', 'refused']).toContain(body.status);
    return body as Record<string, unknown>;
  }, jobWait);

describe('uploads straight to the bucket', () => {
  it('stores an image, makes a thumbnail in the background and downloads the same bytes', async () => {
    const { agent } = await signedUpAgent(app);
    const image = await png();
    const started = await agent
      .post('/api/files/uploads')
      .send({ name: 'photo.png', size: image.length, type: 'image/png' })
      .expect(201);
    expect(started.body).toEqual({
      upload: { id: expect.any(String), partSize: 8 * MiB, partCount: 1 },
    });
    // Invisible until complete.
    await agent.get(`/api/files/${started.body.upload.id}`).expect(404);

    const parts = await sendParts(agent, started.body.upload, image);
    const completed = await agent
      .post(`/api/files/uploads/${started.body.upload.id}/complete`)
      .send({ parts })
      .expect(201);
    expect(completed.body.file).toMatchObject({
      id: started.body.upload.id,
      name: 'photo.png',
      contentType: 'image/png',
      size: image.length,
      status: 'uploaded',
    });

    const ready = await settled(agent, completed.body.file.id);
    expect(ready).toMatchObject({ status: 'ready', sha256: sha256(image), width: 640 });
    const { res, bytes } = await download(agent, String(ready.contentUrl));
    expect(sha256(bytes)).toBe(sha256(image));
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="photo.png"/);
    const thumbnail = await download(agent, String(ready.thumbnailUrl));
    expect((await sharp(thumbnail.bytes).metadata()).format).toBe('webp');
  });

  it('assembles a 20 MB file from three parts sent at once, byte for byte', async () => {
    const { agent } = await signedUpAgent(app);
    const big = pdfLike(20 * MiB + 12_345);
    const started = await startUpload(agent, { name: 'big.pdf', bytes: big });
    expect(started).toMatchObject({ partSize: 8 * MiB, partCount: 3 });

    const signed = await agent
      .post(`/api/files/uploads/${started.id}/parts`)
      .send({ partNumbers: [1, 2, 3] })
      .expect(200);
    expect(signed.body.parts.map((p: { size: number }) => p.size)).toEqual([
      8 * MiB,
      8 * MiB,
      4 * MiB + 12_345,
    ]);
    const parts = await sendParts(agent, started, big);
    const { body } = await agent
      .post(`/api/files/uploads/${started.id}/complete`)
      .send({ parts: parts.reverse() })
      .expect(201);
    const { bytes } = await download(agent, body.file.contentUrl);
    expect(bytes.length).toBe(big.length);
    expect(sha256(bytes)).toBe(sha256(big));
  }, 120_000);

  it('resumes: parts asked for again get fresh URLs, and a part sent twice counts once', async () => {
    const { agent } = await signedUpAgent(app);
    const bytes = pdfLike(9 * MiB);
    const started = await startUpload(agent, { name: 'resumed.pdf', bytes });
    // The connection drops after part 1; the browser comes back and asks for part 2 only.
    const [first] = await sendParts(agent, started, bytes, [1]);
    const [again] = await sendParts(agent, started, bytes, [1]);
    const [second] = await sendParts(agent, started, bytes, [2]);
    expect(again?.etag).toBe(first?.etag);
    const { body } = await agent
      .post(`/api/files/uploads/${started.id}/complete`)
      .send({ parts: [again, second] })
      .expect(201);
    expect(sha256((await download(agent, body.file.contentUrl)).bytes)).toBe(sha256(bytes));
  }, 60_000);

  it('refuses a file over UPLOAD_MAX_BYTES with 413 before a byte is sent, keeping nothing', async () => {
    const small = buildTestApp({ UPLOAD_MAX_BYTES: String(MiB) });
    const { agent, userId } = await signedUpAgent(small);
    const res = await agent
      .post('/api/files/uploads')
      .send({ name: 'big.pdf', size: 3 * MiB, type: 'application/pdf' })
      .expect(413);
    expect(res.body.error).toEqual({ code: 'too_large', message: 'Files can be at most 1 MB.' });
    expect(await rowsOf(userId)).toEqual([]);
  });

  it.each([
    { name: 'setup.exe', type: 'application/x-msdownload' },
    { name: 'archive.zip', type: 'application/zip' },
    { name: 'README', type: '' },
    { name: 'cat.png', type: 'application/pdf' },
  ])('refuses $name declared as "$type" with 415, keeping nothing', async ({ name, type }) => {
    const { agent, userId } = await signedUpAgent(app);
    const res = await agent.post('/api/files/uploads').send({ name, size: 10, type }).expect(415);
    expect(res.body.error.code).toBe('unsupported_type');
    expect(res.body.error.message).toContain(name);
    expect(await rowsOf(userId)).toEqual([]);
  });

  it('takes the type from the extension when the browser declares none', async () => {
    const { agent } = await signedUpAgent(app);
    const file = await upload(agent, { name: 'scan.PDF', bytes: pdfLike(2000), type: '' });
    expect(file.contentType).toBe('application/pdf');
  });

  it('refuses, in the background, a file whose bytes are not what it declared', async () => {
    const { agent, userId } = await signedUpAgent(app);
    const program = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100), randomBytes(8000)]);
    const file = await upload(agent, { name: 'cat.png', bytes: program });

    const refused = await settled(agent, file.id);
    expect(refused).toMatchObject({
      status: 'refused',
      failureReason:
        'cat.png is not a PNG image, nor any type of file accepted here, so it was not kept.',
      thumbnailUrl: null,
    });
    expect(await objectsOf(userId)).toEqual([]);
    await agent.get(`/api/files/${file.id}/content`).expect(404);
  });

  it('sends back a sanitised filename', async () => {
    const { agent } = await signedUpAgent(app);
    const file = await upload(agent, {
      name: '../../etc/"pass"wd\r\n.txt',
      bytes: Buffer.from('hello, world\n'),
    });
    expect(file.name).toBe('"pass"wd.txt');
    const { res } = await download(agent, file.contentUrl);
    const disposition = res.headers['content-disposition'] as string;
    expect(disposition).toMatch(
      /^attachment; filename="[^"/\\\r\n]+"; filename\*=UTF-8''[\w%.!~-]+$/,
    );
    expect(disposition).not.toContain('..');
  });

  it('keeps a UTF-8 name, and drops the controls that would make it pose as another type', async () => {
    const { agent } = await signedUpAgent(app);
    const text = Buffer.from('hello\n');
    expect((await upload(agent, { name: 'résumé 履歴書.txt', bytes: text })).name).toBe(
      'résumé 履歴書.txt',
    );
    const posing = await upload(agent, { name: 'invoice\u202Efdp.txt', bytes: text });
    expect(posing.name).toBe('invoicefdp.txt');
    const controls = ['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067'];
    const more = ['\u2068', '\u2069', '\u200E', '\u200F', '\u061C'];
    expect(cleanFilename(`a${[...controls, ...more].join('b')}c.txt`)).toBe(
      `a${'b'.repeat(11)}c.txt`,
    );
  });

  it("attaches a file to a note of the same user, and refuses another user's note", async () => {
    const owner = await signedUpAgent(app);
    const other = await signedUpAgent(app);
    const { body: note } = await owner.agent.post('/api/notes').send({ title: 'n' }).expect(201);

    const bytes = Buffer.from('notes\n');
    const attached = await upload(owner.agent, { name: 'a.txt', bytes, noteId: note.id });
    expect(attached.noteId).toBe(note.id);

    await other.agent
      .post('/api/files/uploads')
      .send(startBody({ name: 'b.txt', bytes, noteId: note.id }))
      .expect(404);
    expect(await rowsOf(other.userId)).toEqual([]);
  });

  it('gives an upload up: DELETE removes the row, and its parts can no longer be signed', async () => {
    const { agent, userId } = await signedUpAgent(app);
    const bytes = Buffer.from('never finished\n');
    const started = await startUpload(agent, { name: 'gone.txt', bytes });
    await sendParts(agent, started, bytes);

    await agent.delete(`/api/files/uploads/${started.id}`).expect(204);
    expect(await rowsOf(userId)).toEqual([]);
    await agent
      .post(`/api/files/uploads/${started.id}/parts`)
      .send({ partNumbers: [1] })
      .expect(404);
    await agent.delete(`/api/files/uploads/${started.id}`).expect(404);
  });
});

describe('completing an upload', () => {
  it('refuses a list of parts that is not every part once, keeping the upload open', async () => {
    const { agent } = await signedUpAgent(app);
    const bytes = pdfLike(9 * MiB);
    const started = await startUpload(agent, { name: 'two.pdf', bytes });
    const parts = await sendParts(agent, started, bytes);
    for (const wrong of [
      parts.slice(0, 1),
      [...parts, parts[0]],
      [{ ...parts[0], partNumber: 3 }],
    ]) {
      const res = await agent
        .post(`/api/files/uploads/${started.id}/complete`)
        .send({ parts: wrong })
        .expect(400);
      expect(res.body.error).toEqual({
        code: 'invalid_parts',
        message: 'This upload has 2 part(s): send each of them once.',
      });
    }
    await agent.post(`/api/files/uploads/${started.id}/complete`).send({ parts }).expect(201);
  }, 60_000);

  it('refuses the parts of another upload with 400, and stores nothing', async () => {
    const { agent, userId } = await signedUpAgent(app);
    const two = pdfLike(9 * MiB);
    const one = Buffer.from('one part\n');
    const twoParts = await startUpload(agent, { name: 'two.pdf', bytes: two });
    const onePart = await startUpload(agent, { name: 'one.txt', bytes: one });
    const partsOfTwo = await sendParts(agent, twoParts, two);

    const res = await agent
      .post(`/api/files/uploads/${onePart.id}/complete`)
      .send({ parts: partsOfTwo })
      .expect(400);
    expect(res.body.error.code).toBe('invalid_parts');

    // The same number of parts, with the other upload's ETag: the bucket refuses it.
    const mine = await startUpload(agent, { name: 'mine.txt', bytes: one });
    const theirs = await sendParts(agent, onePart, Buffer.from('not my part'));
    await sendParts(agent, mine, one);
    const borrowed = await agent
      .post(`/api/files/uploads/${mine.id}/complete`)
      .send({ parts: theirs })
      .expect(400);
    expect(borrowed.body.error).toEqual({
      code: 'invalid_parts',
      message: 'These parts are not the ones sent for this upload.',
    });
    expect(await objectsOf(userId)).toEqual([]);
  }, 60_000);

  it('answers 409 to a completed upload completed again, and changes nothing', async () => {
    const { agent } = await signedUpAgent(app);
    const bytes = Buffer.from('once\n');
    const started = await startUpload(agent, { name: 'once.txt', bytes });
    const parts = await sendParts(agent, started, bytes);
    const path = `/api/files/uploads/${started.id}/complete`;
    await agent.post(path).send({ parts }).expect(201);
    const before = await settled(agent, started.id);

    const replay = await agent.post(path).send({ parts }).expect(409);
    expect(replay.body.error.code).toBe('already_completed');
    expect(await settled(agent, started.id)).toEqual(before);
    await agent
      .post(`/api/files/uploads/${started.id}/parts`)
      .send({ partNumbers: [1] })
      .expect(404);
  });

  it('deletes an object that is not the size announced: 422, and no row', async () => {
    const { agent, userId } = await signedUpAgent(app);
    const started = await startUpload(agent, { name: 'short.txt', bytes: Buffer.alloc(100, 'a') });
    // A bucket that does not check signed lengths (s3rver) takes a part of another size.
    const [row] = await rowsOf(userId);
    const url = await storage.signUploadPart(
      { key: row?.objectKey ?? '', uploadId: row?.uploadId ?? '' },
      { partNumber: 1, size: 50 },
      60,
    );
    const put = await fetch(url, { method: 'PUT', body: Buffer.alloc(50, 'a') });
    const etag = put.headers.get('etag') ?? '';

    const res = await agent
      .post(`/api/files/uploads/${started.id}/complete`)
      .send({ parts: [{ partNumber: 1, etag }] })
      .expect(422);
    expect(res.body.error.code).toBe('size_mismatch');
    expect(await rowsOf(userId)).toEqual([]);
    expect(await objectsOf(userId)).toEqual([]);
  });
});

describe('quota', () => {
  const tight = buildTestApp({ FILES_QUOTA_BYTES: '1000' });

  it('counts stored files and uploads under way, and says how much is left', async () => {
    const { agent, userId } = await signedUpAgent(tight);
    await upload(agent, { name: 'a.txt', bytes: Buffer.alloc(400, 'a') });
    const pending = await startUpload(agent, { name: 'b.txt', bytes: Buffer.alloc(500, 'b') });

    const limits = await agent.get('/api/files/limits').expect(200);
    expect(limits.body).toMatchObject({ quotaBytes: 1000, usedBytes: 900 });
    expect(limits.body.types).toContain('image/png');

    const res = await agent
      .post('/api/files/uploads')
      .send({ name: 'c.txt', size: 101, type: 'text/plain' })
      .expect(413);
    expect(res.body.error).toEqual({
      code: 'quota_exceeded',
      message: 'This file does not fit in your storage: 100 bytes left. Delete some files first.',
    });
    expect(await rowsOf(userId)).toHaveLength(2);

    // Giving the pending upload up frees its room.
    await agent.delete(`/api/files/uploads/${pending.id}`).expect(204);
    await upload(agent, { name: 'c.txt', bytes: Buffer.alloc(600, 'c') });
  });

  it('lets uploads started at once take no more than the room left between them', async () => {
    // Over a real socket: supertest starts a server of its own per request on an app, which
    // requests in parallel must not share.
    const server = await new Promise<Server>((resolve) => {
      const listening = tight.listen(0, '127.0.0.1', () => resolve(listening));
    });
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const registered = await request(server)
      .post('/api/auth/register')
      .send({ email: uniqueEmail(), password })
      .expect(201);
    const cookie = (sessionCookie(registered) ?? '').split(';')[0] ?? '';
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        fetch(`${base}/api/files/uploads`, {
          method: 'POST',
          headers: { cookie, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'x.txt', size: 400, type: 'text/plain' }),
        }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    // Room for two: never three. Uploads that meet at the same moment may both step back.
    expect(statuses.every((status) => status === 201 || status === 413)).toBe(true);
    expect(statuses.filter((status) => status === 201).length).toBeLessThanOrEqual(2);
    const limits = await fetch(`${base}/api/files/limits`, { headers: { cookie } });
    expect(((await limits.json()) as { usedBytes: number }).usedBytes).toBeLessThanOrEqual(1000);
  });
});

describe('access', () => {
  it("answers 404 for another user's file or upload on every route, and leaves it alone", async () => {
    const owner = await signedUpAgent(app);
    const other = await signedUpAgent(app);
    const file = await upload(owner.agent, { name: 'mine.png', bytes: await png() });
    const bytes = Buffer.from('pending\n');
    const pending = await startUpload(owner.agent, { name: 'p.txt', bytes });

    await other.agent.get(`/api/files/${file.id}`).expect(404);
    await other.agent.get(`/api/files/${file.id}/content`).expect(404);
    await other.agent.get(`/api/files/${file.id}/thumbnail`).expect(404);
    await other.agent.delete(`/api/files/${file.id}`).expect(404);
    await other.agent
      .post(`/api/files/uploads/${pending.id}/parts`)
      .send({ partNumbers: [1] })
      .expect(404);
    await other.agent
      .post(`/api/files/uploads/${pending.id}/complete`)
      .send({ parts: [{ partNumber: 1, etag: '"x"' }] })
      .expect(404);
    await other.agent.delete(`/api/files/uploads/${pending.id}`).expect(404);
    expect((await other.agent.get('/api/files').expect(200)).body.files).toEqual([]);

    await owner.agent.get(`/api/files/${file.id}/content`).expect(200);
    await sendParts(owner.agent, pending, bytes);
  });

  it('lists files newest first with a cursor, and never an upload under way', async () => {
    const { agent } = await signedUpAgent(app);
    for (const name of ['one.txt', 'two.txt', 'three.txt']) {
      await upload(agent, { name, bytes: Buffer.from(`${name}\n`) });
    }
    await startUpload(agent, { name: 'four.txt', bytes: Buffer.from('4\n') });
    const first = await agent.get('/api/files').query({ limit: 2 }).expect(200);
    expect(first.body.files.map((f: { name: string }) => f.name)).toEqual(['three.txt', 'two.txt']);
    const second = await agent
      .get('/api/files')
      .query({ limit: 2, cursor: first.body.nextCursor })
      .expect(200);
    expect(second.body.files.map((f: { name: string }) => f.name)).toEqual(['one.txt']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('deletes the row, the object and the thumbnail', async () => {
    const { agent, userId } = await signedUpAgent(app);
    const file = await upload(agent, { name: 'gone.png', bytes: await png() });
    expect(await settled(agent, file.id)).toMatchObject({ status: 'ready' });
    expect(await objectsOf(userId)).toHaveLength(2);

    await agent.delete(`/api/files/${file.id}`).expect(204);
    await agent.get(`/api/files/${file.id}`).expect(404);
    expect(await rowsOf(userId)).toEqual([]);
    expect(await objectsOf(userId)).toEqual([]);
  });
});

it('has no streamed upload any more: POST /api/files is no route', async () => {
  const { agent } = await signedUpAgent(app);
  await agent.post('/api/files').attach('file', Buffer.from('x'), 'a.txt').expect(404);
});
