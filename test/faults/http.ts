// A small HTTP client for the fault suite: a browser's habits without a browser. It keeps its
// connections alive (as a browser does through Caddy, so a replica's restart meets requests on
// open connections, not only new ones), keeps the session cookie, trusts Caddy's local CA, and
// gives every request a client-side timeout so an answer that never comes fails the request.
import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { SignedPart, StartedUpload } from '../../apps/web/public/upload-client.js';

const TIMEOUT_MS = 15_000;

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body as JSON (throws if it is not), seen as the type the test expects. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a cast, as in Playwright's json()
  json<T = Record<string, unknown>>(): T;
}

export interface RequestInit {
  method?: string;
  /** Sent as JSON. */
  json?: unknown;
  /** A raw body with its content type. */
  body?: { bytes: Buffer; contentType: string };
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface Client {
  request(path: string, init?: RequestInit): Promise<Answer>;
  /** Registers a new account and keeps its session cookie. */
  signUp(email?: string): Promise<{ id: string; email: string }>;
  /**
   * Uploads one file as the page does: start it with the API, PUT the parts to the bucket on
   * the URLs the API signs, complete it. The first refusal, or the completion whose json() is
   * the file.
   */
  upload(name: string, bytes: Buffer, contentType: string): Promise<Answer>;
  /** The session cookie as sent (`shipshape.sid=…`); empty before signing in. */
  cookie: string;
  close(): void;
}

export const password = 'correct horse battery staple';

export function uniqueEmail(label = 'faults'): string {
  return `${label}-${randomBytes(6).toString('hex')}@example.test`;
}

/**
 * A client for `base` (https://localhost:PORT through Caddy with its `ca`, or a replica's
 * http://127.0.0.1:PORT). `headers` go with every request: the tests that talk to a replica
 * directly send what Caddy would add.
 */
export function createClient(
  base: string,
  { ca, headers: always = {} }: { ca?: string; headers?: Record<string, string> } = {},
): Client {
  const https = base.startsWith('https:');
  const agent = https
    ? new HttpsAgent({ keepAlive: true, ca, maxSockets: 8 })
    : new HttpAgent({ keepAlive: true, maxSockets: 8 });
  const send = https ? httpsRequest : httpRequest;

  const client: Client = {
    cookie: '',
    request(path, init = {}) {
      const headers: Record<string, string> = { ...always, ...init.headers };
      let body: Buffer | undefined;
      if (init.json !== undefined) {
        body = Buffer.from(JSON.stringify(init.json));
        headers['content-type'] = 'application/json';
      } else if (init.body) {
        body = init.body.bytes;
        headers['content-type'] = init.body.contentType;
      }
      if (body) headers['content-length'] = String(body.length);
      if (client.cookie) headers.cookie = client.cookie;
      const timeoutMs = init.timeoutMs ?? TIMEOUT_MS;

      return new Promise<Answer>((resolve, reject) => {
        const req = send(`${base}${path}`, {
          method: init.method ?? (body ? 'POST' : 'GET'),
          headers,
          agent,
        });
        const timer = setTimeout(() => {
          req.destroy(new Error(`no answer to ${path} within ${timeoutMs} ms`));
        }, timeoutMs);
        req.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            clearTimeout(timer);
            const session = (res.headers['set-cookie'] ?? []).find((c) =>
              c.startsWith('shipshape.sid='),
            );
            if (session) client.cookie = session.split(';')[0] ?? '';
            const bytes = Buffer.concat(chunks);
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: bytes,
              // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- as above
              json: <T>() => JSON.parse(bytes.toString()) as T,
            });
          });
        });
        req.end(body);
      });
    },

    async signUp(email = uniqueEmail()) {
      const res = await client.request('/api/auth/register', { json: { email, password } });
      if (res.status !== 201) {
        throw new Error(`sign-up answered ${res.status}: ${res.body.toString()}`);
      }
      return res.json<{ user: { id: string; email: string } }>().user;
    },

    async upload(name, bytes, contentType) {
      const started = await client.request('/api/files/uploads', {
        json: { name, size: bytes.length, type: contentType },
      });
      if (started.status !== 201) return started;
      const { id, partSize, partCount } = started.json<{ upload: StartedUpload }>().upload;
      const partNumbers = Array.from({ length: partCount }, (_, i) => i + 1);
      const signed = await client.request(`/api/files/uploads/${id}/parts`, {
        json: { partNumbers },
      });
      if (signed.status !== 200) return signed;
      const parts = await Promise.all(
        signed.json<{ parts: SignedPart[] }>().parts.map(async ({ partNumber, url, size }) => {
          const from = (partNumber - 1) * partSize;
          const body = bytes.subarray(from, from + size);
          const etag = await putPart(url, body, ca);
          return { partNumber, etag };
        }),
      );
      const completed = await client.request(`/api/files/uploads/${id}/complete`, {
        json: { parts },
      });
      if (completed.status !== 201) return completed;
      const { file } = completed.json<{ file: Record<string, unknown> }>();
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- as above
      return { ...completed, json: <T>() => file as T };
    },

    close() {
      agent.destroy();
    },
  };
  return client;
}

/**
 * PUTs one part to the bucket on its signed URL, as the page's fetch does, and returns its ETag.
 * Part URLs point at S3_PUBLIC_ENDPOINT: Caddy's origin (trusting its `ca`) in the stack.
 */
function putPart(url: string, body: Buffer, ca: string | undefined): Promise<string> {
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: 'PUT',
      headers: { 'content-length': String(body.length) },
      ca,
      timeout: TIMEOUT_MS,
    });
    req.on('timeout', () =>
      req.destroy(new Error(`no answer to a part PUT within ${TIMEOUT_MS} ms`)),
    );
    req.on('error', reject);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        const etag = res.headers.etag;
        if (res.statusCode === 200 && etag) resolve(etag);
        else reject(new Error(`a part PUT answered ${String(res.statusCode)}`));
      });
    });
    req.end(body);
  });
}
