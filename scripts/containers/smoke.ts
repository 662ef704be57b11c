// What a first visitor does, asked of a running stack through Caddy: health, register, sign in,
// upload an image and wait for its thumbnail, export everything, and weigh the first page.
// Every request on a fresh connection with a client-side timeout; any surprise throws.
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { flatPng } from '../../e2e/png';
import { get, type RawResponse } from '../../test/topology/caddy';

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
      const res = await get(`${stack.url}/readyz`, { ca: stack.ca });
      if (res.status === 200) return (performance.now() - started) / 1000;
      last = `${res.status} ${res.body.toString().slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(1000);
  }
  throw new Error(`${stack.url}/readyz not ready within ${timeoutMs / 1000} s (last: ${last})`);
}

export interface SmokeResult {
  firstPageBytes: number;
  firstPageRequests: number;
}

export async function smoke(stack: Stack, step: (line: string) => void): Promise<SmokeResult> {
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

  step('upload a 640×480 PNG and wait for its thumbnail');
  const uploaded = client.json(await client.upload('photo.png', flatPng(640, 480), 'image/png'));
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

/** The page, its assets and the first API call, with gzip: every byte on the wire. */
export async function firstPageWeight(stack: Stack): Promise<SmokeResult> {
  const headers = { 'accept-encoding': 'gzip' };
  const page = await get(`${stack.url}/`, { headers, ca: stack.ca });
  const html = (
    page.headers['content-encoding'] === 'gzip' ? gunzipSync(page.body) : page.body
  ).toString();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? '');
  const answers: RawResponse[] = [page];
  for (const path of [...assets, '/api/auth/session']) {
    answers.push(await get(`${stack.url}${path}`, { headers, ca: stack.ca }));
  }
  return {
    firstPageRequests: answers.length,
    firstPageBytes: answers.reduce((sum, res) => sum + res.headerBytes + res.body.length, 0),
  };
}

/** A browser-like client: keeps the session cookie, says where its requests come from. */
export function visitor({ url, ca }: Stack) {
  let cookie = '';
  async function send(method: string, path: string, body?: Buffer, contentType?: string) {
    const res = await get(`${url}${path}`, {
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
  return {
    async expect(method: string, path: string, status: number, json?: object) {
      const body = json && Buffer.from(JSON.stringify(json));
      const res = await send(method, path, body, json && 'application/json');
      if (res.status !== status) {
        throw new Error(
          `${method} ${path}: ${res.status}, expected ${status}: ${res.body.toString().slice(0, 300)}`,
        );
      }
      return res;
    },
    async upload(name: string, bytes: Buffer, type: string) {
      const boundary = `smoke${Date.now()}`;
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
            `Content-Type: ${type}\r\n\r\n`,
        ),
        bytes,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      const res = await send(
        'POST',
        '/api/files',
        body,
        `multipart/form-data; boundary=${boundary}`,
      );
      if (res.status !== 201) throw new Error(`upload: ${res.status} ${res.body.toString()}`);
      return res;
    },
    json: (res: RawResponse) => JSON.parse(res.body.toString()) as Record<string, unknown>,
  };
}

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
