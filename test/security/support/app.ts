// The app under test, as each security test file builds it: the real app of apps/api/test/helpers
// (its own database, the run's S3 bucket, real job handlers), on a real socket, logging at the
// most talkative level into lines the tests read back and scan for what must never be logged.
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { deflateSync, crc32 } from 'node:zlib';
import { connectDatabase } from '@shipshape/db';
import { releaseWhenDone, testDatabaseUrl } from '@shipshape/db/testing';
import { createLogger } from '@shipshape/logger';
import { expect } from 'vitest';
import { buildTestApp, deployedEnv, password, uniqueEmail } from '../../../apps/api/test/helpers';
import { Client, type Reply } from '@shipshape/stack/http';

export { deployedEnv, password, uniqueEmail };

export type TestApp = ReturnType<typeof buildTestApp>;

/** What Caddy adds to every request it passes on in a deployment (X-Forwarded-Proto: https). */
export const behindCaddy = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '198.51.100.20' };

/** An environment as staging or production runs it, behind Caddy on the same host. */
export const deployed = (appEnv: 'staging' | 'production') => ({
  APP_ENV: appEnv,
  ...deployedEnv,
  TRUST_PROXY: 'loopback',
});

export interface CapturedLog {
  lines: string[];
  text(): string;
}

export interface SecurityApp {
  app: TestApp;
  base: string;
  log: CapturedLog;
  /** A new browser against this app, sending `headers` on every request. */
  client(headers?: Record<string, string>): Client;
}

/** A JSON logger at trace level whose lines the test keeps. */
export function capturedLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ isLocal: false, logLevel: 'trace' }, 'api', destination);
  return { logger, log: { lines, text: () => lines.join('\n') } satisfies CapturedLog };
}

/** The app on a real port; call while a file or describe is collected, or inside a test. */
export async function startApp(
  env: Record<string, string> = {},
  overrides: Parameters<typeof buildTestApp>[1] = {},
): Promise<SecurityApp> {
  const { logger, log } = capturedLogger();
  const app = buildTestApp(env, { logger, ...overrides });
  // drizzle keeps the pool it was given as $client; the Database type leaves it out.
  tolerateTeardown(
    (app.deps.db as unknown as { $client: Parameters<typeof tolerateTeardown>[0] }).$client,
  );
  const base = await listen(app);
  return { app, base, log, client: (headers) => new Client(base, { headers }) };
}

/** Listens on loopback until the test (or the file, when called while collecting) is done. */
async function listen(app: TestApp): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  releaseWhenDone(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * pg-pool's end() resolves once it has asked its connections to close, not once they have; the
 * file's database is then dropped WITH (FORCE), and a connection still closing receives
 * "terminating connection" (57P01). With no listener the pool rethrows it as an uncaught error.
 */
export function tolerateTeardown(pool: { on(event: 'error', listener: () => void): unknown }) {
  pool.on('error', () => {});
}

/** A pool on the file's database, for checking what the app stored; ended with the file. */
export function databasePool() {
  const { pool } = connectDatabase(testDatabaseUrl(), { max: 1 });
  tolerateTeardown(pool);
  releaseWhenDone(() => pool.end());
  return pool;
}

/** Signs a new account up on `client` (which then holds its session); its email and id. */
export async function signUp(client: Client, email = uniqueEmail()) {
  const res = await client.post('/api/auth/register', { json: { email, password } });
  expect(res.status, res.text).toBe(201);
  return { email, userId: res.json.user.id as string };
}

/** A signed-in browser of a new account. */
export async function signedIn(target: SecurityApp, headers?: Record<string, string>) {
  const client = target.client(headers);
  return { client, ...(await signUp(client)) };
}

export const sessionCookieName = 'shipshape.sid';

/** The Set-Cookie line of the session cookie, whatever prefix the deployment gives its name. */
export function sessionSetCookie(setCookies: string[]): string | undefined {
  return setCookies.find((line) => /^(__Host-|__Secure-)?shipshape\.sid=/.test(line));
}

/** A real PNG of `width` × `height` pixels, written by hand (no image library at the root). */
export function png(width = 64, height = 48): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x42)]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// What a browser declares for a file by its extension; other names are declared text/plain here.
const declaredTypes: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  pdf: 'application/pdf',
  txt: 'text/plain',
};

export interface FileToUpload {
  filename: string;
  bytes: Buffer;
  /** The type the upload declares; by default what a browser says for the name's extension. */
  contentType?: string;
}

/**
 * Uploads one file as the page does (apps/web/public/upload-client.js): start it with the API,
 * PUT its parts to the URLs the API signed, complete it. The reply is the first refusal, or the
 * completion's with the file as `json`.
 */
export async function upload(
  client: Client,
  file: FileToUpload,
  fields: Record<string, string> = {},
): Promise<Reply> {
  const extension = /\.([a-z]+)$/i.exec(file.filename)?.[1]?.toLowerCase() ?? '';
  const started = await client.post('/api/files/uploads', {
    // Other fields first: what the protocol declares is the file's own.
    json: {
      ...fields,
      name: file.filename,
      size: file.bytes.length,
      type: file.contentType ?? declaredTypes[extension] ?? 'text/plain',
    },
  });
  if (started.status !== 201) return started;
  const { id, partSize, partCount } = started.json.upload as {
    id: string;
    partSize: number;
    partCount: number;
  };
  const partNumbers = Array.from({ length: partCount }, (_, i) => i + 1);
  const signed = await client.post(`/api/files/uploads/${id}/parts`, { json: { partNumbers } });
  if (signed.status !== 200) return signed;
  const parts = await Promise.all(
    (signed.json.parts as { partNumber: number; url: string; size: number }[]).map(
      async ({ partNumber, url, size }) => {
        const from = (partNumber - 1) * partSize;
        const body = file.bytes.subarray(from, from + size);
        const put = await fetch(url, { method: 'PUT', body });
        expect(put.status).toBe(200);
        return { partNumber, etag: put.headers.get('etag') ?? '' };
      },
    ),
  );
  const completed = await client.post(`/api/files/uploads/${id}/complete`, { json: { parts } });
  return completed.status === 201 ? { ...completed, json: completed.json.file } : completed;
}

/** Polls until `check` passes, for work done by a background job. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() - started > timeoutMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

// A V8 stack frame ("    at fn (/path/file.ts:12:3)") or a source path of this machine.
const stackFrame = /\n\s+at .+[(/\\]|node_modules|\/src\/[\w/-]+\.ts/;

/** An answer carries no stack trace, no source path and none of `secrets` (V7.4.1, V14.3.2). */
export function expectNoLeak(text: string, secrets: string[] = []) {
  expect(text).not.toMatch(stackFrame);
  expect(text).not.toMatch(/\$argon2/);
  for (const secret of secrets) if (secret) expect(text).not.toContain(secret);
}

/** Log lines at error level or above: each one an unhandled failure of ours. */
export function errorLines(log: CapturedLog): string[] {
  return log.lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
}
