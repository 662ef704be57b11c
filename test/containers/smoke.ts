// What a first visitor does, asked of a running stack through Caddy: health, register, sign in,
// upload an image as the page does (start, PUT its parts straight to the bucket through Caddy,
// complete), wait for its thumbnail, download it again, export everything, and weigh the first
// page. Every request on a fresh connection with a client-side timeout; any surprise throws.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstPageWeight, type PageWeight } from '@shipshape/stack';
import { send, type Reply } from '@shipshape/stack/http';
import type { SignedPart, StartedUpload } from '../../apps/web/public/upload-client.js';
import { noisyPng } from '../../e2e/png';

export interface Stack {
  /** The site through Caddy: http://localhost:PORT or https://localhost:PORT. */
  url: string;
  /** For https: the CA that signed Caddy's certificate. */
  ca?: string;
}

/** Polls /readyz until it answers 200; resolves with the seconds that took. */
export async function waitUntilReady(stack: Stack, timeoutMs: number): Promise<number> {
  const started = performance.now();
  let last = 'no answer';
  while (performance.now() - started < timeoutMs) {
    try {
      const res = await send(`${stack.url}/readyz`, { ca: stack.ca });
      if (res.status === 200) return (performance.now() - started) / 1000;
      last = `${res.status} ${res.body.toString().slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(1000);
  }
  throw new Error(`${stack.url}/readyz not ready within ${timeoutMs / 1000} s (last: ${last})`);
}

export async function smoke(stack: Stack, step: (line: string) => void): Promise<PageWeight> {
  const client = visitor(stack);

  step('health: /healthz and /readyz answer 200');
  await client.expect('GET', '/healthz', 200);
  await client.expect('GET', '/readyz', 200);

  const email = `smoke-${Date.now()}@example.test`;
  const password = 'correct horse battery staple';
  step(`register ${email}, sign out, sign in again`);
  await client.expect('POST', '/api/auth/register', 201, { email, password });
  await client.expect('POST', '/api/auth/logout', 204);
  await client.expect('POST', '/api/auth/login', 200, { email, password });
  const session = client.json(await client.expect('GET', '/api/auth/session', 200));
  if ((session.user as { email?: string } | null)?.email !== email) {
    throw new Error(`signed in, but the session says ${JSON.stringify(session)}`);
  }

  // Noise does not compress: about 9 MB, so two parts, the first a full 8 MiB one.
  const image = noisyPng(2000, 1500);
  step(`upload a ${(image.length / 1e6).toFixed(1)} MB PNG in parts to the bucket through Caddy`);
  const uploaded = await client.upload('photo.png', image, 'image/png', step);
  step('wait for its thumbnail, and download it again');
  const file = await until(`file ${String(uploaded.id)} ready`, async () => {
    const current = client.json(
      await client.expect('GET', `/api/files/${String(uploaded.id)}`, 200),
    );
    if (current.status === 'failed')
      throw new Error(`processing failed: ${JSON.stringify(current)}`);
    return current.status === 'ready' && current.thumbnailUrl ? current : undefined;
  });
  const thumbnail = await client.expect('GET', String(file.thumbnailUrl), 200);
  if (!String(thumbnail.headers['content-type']).startsWith('image/')) {
    throw new Error(`the thumbnail came as ${thumbnail.headers['content-type']}`);
  }
  const content = await client.expect('GET', `/api/files/${String(uploaded.id)}/content`, 200);
  if (sha256(content.body) !== sha256(image)) {
    throw new Error(`the stored file differs from the one sent (${content.body.length} bytes)`);
  }

  step('write a note, export everything, download the export');
  const title = `Smoke note ${Date.now()}`;
  await client.expect('POST', '/api/notes', 201, { title, body: 'Written by the smoke test.' });
  const started = client.json(await client.expect('POST', '/api/exports', 202));
  const ready = await until(`export ${String(started.id)} ready`, async () => {
    const current = client.json(
      await client.expect('GET', `/api/exports/${String(started.id)}`, 200),
    );
    if (current.status === 'failed') throw new Error(`export failed: ${JSON.stringify(current)}`);
    return current.status === 'ready' ? current : undefined;
  });
  const download = await client.expect('GET', String(ready.downloadUrl), 200);
  if (!download.body.toString().includes(title)) throw new Error('the export lacks the note');

  step('weigh the first page as a browser loads it, compressed');
  return firstPageWeight(stack);
}

/** A browser-like client: keeps the session cookie, says where its requests come from. */
export function visitor({ url, ca }: Stack) {
  let cookie = '';
  async function request(method: string, path: string, body?: Buffer, contentType?: string) {
    const res = await send(`${url}${path}`, {
      method,
      ca,
      body,
      headers: {
        origin: url,
        ...(cookie && { cookie }),
        ...(contentType && { 'content-type': contentType }),
      },
    });
    const set = res.headers['set-cookie'];
    if (set) cookie = set.map((c) => c.split(';')[0]).join('; ');
    return res;
  }
  async function expect(method: string, path: string, status: number, json?: object) {
    const body = json && Buffer.from(JSON.stringify(json));
    const res = await request(method, path, body, json && 'application/json');
    if (res.status !== status) {
      throw new Error(
        `${method} ${path}: ${res.status}, expected ${status}: ${res.body.toString().slice(0, 300)}`,
      );
    }
    return res;
  }
  const json = (res: Reply) => JSON.parse(res.body.toString()) as Record<string, unknown>;
  return {
    expect,
    json,
    /**
     * The page's upload protocol (apps/web/public/upload-client.js), one part after the other:
     * start, ask for part URLs, PUT each part's bytes to its URL, complete. Each URL must be on
     * the site's own origin, where Caddy passes the bucket's path on to the S3 server.
     */
    async upload(name: string, bytes: Buffer, type: string, step: (line: string) => void) {
      const start = await expect('POST', '/api/files/uploads', 201, {
        name,
        size: bytes.length,
        type,
      });
      const { id, partSize, partCount } = (json(start) as { upload: StartedUpload }).upload;
      const partNumbers = Array.from({ length: partCount }, (_, i) => i + 1);
      const signed = await expect('POST', `/api/files/uploads/${id}/parts`, 200, {
        partNumbers,
      });
      const etags: { partNumber: number; etag: string }[] = [];
      for (const part of (json(signed) as { parts: SignedPart[] }).parts) {
        const target = new URL(part.url);
        if (target.origin !== new URL(url).origin) {
          throw new Error(`part ${part.partNumber} is signed for ${target.origin}, not the site`);
        }
        const offset = (part.partNumber - 1) * partSize;
        const body = bytes.subarray(offset, offset + part.size);
        const res = await send(part.url, {
          method: 'PUT',
          ca,
          body,
          headers: { 'content-length': String(body.length) },
        });
        const etag = res.headers.etag;
        if (res.status !== 200 || !etag) {
          throw new Error(
            `PUT part ${part.partNumber} to ${target.pathname}: ${res.status} ${res.body.toString().slice(0, 300)}`,
          );
        }
        step(`part ${part.partNumber}/${partCount}: ${body.length} bytes to ${target.pathname}`);
        etags.push({ partNumber: part.partNumber, etag });
      }
      const done = await expect('POST', `/api/files/uploads/${id}/complete`, 201, {
        parts: etags,
      });
      return (json(done) as { file: Record<string, unknown> }).file;
    },
  };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Asks `check` every half second until it returns something, for up to a minute. */
async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within 60 s`);
    await sleep(500);
  }
}
