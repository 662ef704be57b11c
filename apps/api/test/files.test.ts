import { createHash, randomBytes } from 'node:crypto';
import { jobWait, useTestDatabase } from '@shipshape/db/testing';
import { eq } from 'drizzle-orm';
import { files } from '@shipshape/db';
import { userPrefix } from '@shipshape/storage';
import sharp from 'sharp';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { buildTestApp, signedUpAgent } from './helpers';

useTestDatabase();

const app = buildTestApp({ UPLOAD_MAX_BYTES: String(60 * 1024 * 1024) });
const { db, storage } = app.deps;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const png = () =>
  sharp({ create: { width: 640, height: 480, channels: 3, background: '#0d9488' } })
    .png()
    .toBuffer();
/** Bytes that start like a PDF: accepted by type detection, and not compressible. */
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

describe('uploads', () => {
  it('stores an image, makes a thumbnail in the background and downloads the same bytes', async () => {
    const { agent } = await signedUpAgent(app);
    const image = await png();
    const created = await agent
      .post('/api/files')
      .attach('file', image, { filename: 'photo.png', contentType: 'image/png' })
      .expect(201);
    expect(created.body).toMatchObject({
      name: 'photo.png',
      contentType: 'image/png',
      size: image.length,
    });

    const ready = await vi.waitFor(async () => {
      const { body } = await agent.get(`/api/files/${created.body.id}`).expect(200);
      expect(body.status).toBe('ready');
      return body;
    }, jobWait);
    expect(ready).toMatchObject({ sha256: sha256(image), width: 640, height: 480 });

    const { res, bytes } = await download(agent, ready.contentUrl);
    expect(sha256(bytes)).toBe(sha256(image));
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="photo.png"/);

    const thumbnail = await download(agent, ready.thumbnailUrl);
    const meta = await sharp(thumbnail.bytes).metadata();
    expect(meta.format).toBe('webp');
    expect(Math.max(meta.width, meta.height)).toBe(256);
  });

  it('round-trips a 50 MB file byte for byte', async () => {
    const { agent } = await signedUpAgent(app);
    const big = pdfLike(50 * 1024 * 1024);
    const created = await agent
      .post('/api/files')
      .attach('file', big, { filename: 'big.pdf', contentType: 'application/pdf' })
      .expect(201);
    expect(created.body.size).toBe(big.length);
    const { bytes } = await download(agent, created.body.contentUrl);
    expect(bytes.length).toBe(big.length);
    expect(sha256(bytes)).toBe(sha256(big));
  }, 120_000);

  it('refuses a file over UPLOAD_MAX_BYTES with 413 and keeps no row and no object', async () => {
    const small = buildTestApp({ UPLOAD_MAX_BYTES: String(1024 * 1024) });
    const { agent, userId } = await signedUpAgent(small);
    const res = await agent
      .post('/api/files')
      .attach('file', pdfLike(3 * 1024 * 1024), { filename: 'big.pdf' })
      .expect(413);
    expect(res.body.error).toEqual({
      code: 'file_too_large',
      message: 'Files can be at most 1 MB.',
    });
    expect(await rowsOf(userId)).toEqual([]);
    expect(await objectsOf(userId)).toEqual([]);
  });

  it('decides the type from the bytes: a program named .png gets 415, and nothing is kept', async () => {
    const { agent, userId } = await signedUpAgent(app);
    const program = Buffer.concat([Buffer.from('MZ'), randomBytes(8192)]);
    const res = await agent
      .post('/api/files')
      .attach('file', program, { filename: 'cat.png', contentType: 'image/png' })
      .expect(415);
    expect(res.body.error.code).toBe('unsupported_type');
    expect(await rowsOf(userId)).toEqual([]);
    expect(await objectsOf(userId)).toEqual([]);
  });

  const html = () => Buffer.from('<!doctype html>\n<title>A page</title>\n<p>Hello</p>\n');
  it.each([
    { name: 'page.png', bytes: html, says: 'page.png is not a PNG image: it looks like text.' },
    {
      name: 'photo.JPG',
      bytes: png,
      says: 'photo.JPG is not a JPEG image: it looks like a PNG image.',
    },
    {
      name: 'notes.txt',
      bytes: () => pdfLike(2000),
      says: 'notes.txt is not text: it looks like a PDF document.',
    },
  ])(
    'refuses $name, whose bytes are not what its name says, with 415, and keeps nothing',
    async ({ name, bytes, says }) => {
      const { agent, userId } = await signedUpAgent(app);
      const res = await agent
        .post('/api/files')
        .attach('file', await bytes(), { filename: name })
        .expect(415);
      expect(res.body.error).toEqual({ code: 'type_mismatch', message: says });
      expect(await rowsOf(userId)).toEqual([]);
      expect(await objectsOf(userId)).toEqual([]);
    },
  );

  it('judges a name without an accepted extension by its bytes alone', async () => {
    const { agent } = await signedUpAgent(app);
    for (const [name, bytes, type] of [
      ['page.html', html(), 'text/plain'],
      ['README', html(), 'text/plain'],
      ['scan.PDF', pdfLike(2000), 'application/pdf'],
      ['picture.bmp', await png(), 'image/png'],
    ] as const) {
      const created = await agent.post('/api/files').attach('file', bytes, { filename: name });
      expect({ name, status: created.status, type: created.body.contentType }).toEqual({
        name,
        status: 201,
        type,
      });
    }
  });

  it('accepts plain text and sends back a sanitised filename', async () => {
    const { agent } = await signedUpAgent(app);
    const created = await agent
      .post('/api/files')
      .attach('file', Buffer.from('hello, world\n'), { filename: '../../etc/"pass"wd\r\n.txt' })
      .expect(201);
    expect(created.body.contentType).toBe('text/plain');
    const { res } = await download(agent, created.body.contentUrl);
    const disposition = res.headers['content-disposition'] as string;
    // One header line, a quoted ASCII name with no path and no quote inside, and an encoded exact name.
    expect(disposition).toMatch(
      /^attachment; filename="[^"/\\\r\n]+"; filename\*=UTF-8''[\w%.!~-]+$/,
    );
    expect(disposition).not.toContain('..');
  });

  it("attaches a file to a note of the same user, and refuses another user's note", async () => {
    const owner = await signedUpAgent(app);
    const other = await signedUpAgent(app);
    const { body: note } = await owner.agent.post('/api/notes').send({ title: 'n' }).expect(201);

    const attached = await owner.agent
      .post('/api/files')
      .field('noteId', note.id)
      .attach('file', Buffer.from('notes\n'), { filename: 'a.txt' })
      .expect(201);
    expect(attached.body.noteId).toBe(note.id);

    await other.agent
      .post('/api/files')
      .field('noteId', note.id)
      .attach('file', Buffer.from('sneaky\n'), { filename: 'b.txt' })
      .expect(404);
    expect(await rowsOf(other.userId)).toEqual([]);
  });

  it('refuses a request without a file, or that is not multipart', async () => {
    const { agent } = await signedUpAgent(app);
    await agent.post('/api/files').field('noteId', '').expect(400);
    await agent.post('/api/files').send({ file: 'x' }).expect(400);
  });
});

describe('file access', () => {
  it("answers 404 for another user's file on every route, and leaves it alone", async () => {
    const owner = await signedUpAgent(app);
    const other = await signedUpAgent(app);
    const { body: file } = await owner.agent
      .post('/api/files')
      .attach('file', await png(), { filename: 'mine.png' })
      .expect(201);

    await other.agent.get(`/api/files/${file.id}`).expect(404);
    await other.agent.get(`/api/files/${file.id}/content`).expect(404);
    await other.agent.get(`/api/files/${file.id}/thumbnail`).expect(404);
    await other.agent.delete(`/api/files/${file.id}`).expect(404);
    expect((await other.agent.get('/api/files').expect(200)).body.files).toEqual([]);
    await owner.agent.get(`/api/files/${file.id}/content`).expect(200);
  });

  it('lists files newest first with a cursor', async () => {
    const { agent } = await signedUpAgent(app);
    for (const name of ['one.txt', 'two.txt', 'three.txt']) {
      await agent
        .post('/api/files')
        .attach('file', Buffer.from(`${name}\n`), { filename: name })
        .expect(201);
    }
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
    const { body: file } = await agent
      .post('/api/files')
      .attach('file', await png(), { filename: 'gone.png' })
      .expect(201);
    await vi.waitFor(async () => {
      expect((await agent.get(`/api/files/${file.id}`)).body.status).toBe('ready');
    }, jobWait);
    expect(await objectsOf(userId)).toHaveLength(2);

    await agent.delete(`/api/files/${file.id}`).expect(204);
    await agent.get(`/api/files/${file.id}`).expect(404);
    expect(await rowsOf(userId)).toEqual([]);
    expect(await objectsOf(userId)).toEqual([]);
  });
});
