// A real socket per test app and a small cookie-keeping client with a client-side timeout: a
// server that hangs fails the test instead of stalling the suite, and what goes over the wire
// (raw paths, odd headers, bodies that are not JSON) is exactly what the test wrote.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { releaseWhenDone } from '@shipshape/db/testing';
import type { buildTestApp } from '../../../apps/api/test/helpers';

export type TestApp = ReturnType<typeof buildTestApp>;

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  bytes: Buffer;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read what came
  /** Every Set-Cookie line of the answer, as sent. */
  setCookies: string[];
}

export interface RequestOptions {
  /** Sent as JSON with Content-Type application/json. */
  json?: unknown;
  /** Sent as is; set Content-Type in `headers`. */
  body?: string | Buffer;
  headers?: Record<string, string | number>;
  timeoutMs?: number;
}

/** Listens on loopback until the test (or the file, when called while collecting) is done. */
export async function listen(app: TestApp): Promise<string> {
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

/** One HTTP request on a fresh connection; `path` is sent exactly as given. */
export function send(
  base: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Reply> {
  const { timeoutMs = 15_000 } = options;
  const headers: Record<string, string | number> = { ...options.headers };
  let payload: Buffer | undefined;
  if (options.json !== undefined) {
    payload = Buffer.from(JSON.stringify(options.json));
    headers['Content-Type'] ??= 'application/json';
  } else if (options.body !== undefined) {
    payload = Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
  }
  if (payload) headers['Content-Length'] = payload.length;
  const url = new URL(base);

  return new Promise<Reply>((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method,
      path,
      headers,
      agent: false,
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer to ${method} ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    req.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      res.once('end', () => {
        clearTimeout(timer);
        const bytes = Buffer.concat(chunks);
        const text = bytes.toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          bytes,
          json: parseJson(text),
          setCookies: res.headers['set-cookie'] ?? [],
        });
      });
    });
    req.end(payload);
  });
}

/**
 * Bytes written to a raw TCP connection, and what came back before the server closed it (or the
 * timeout): for requests node:http refuses to send, such as malformed request lines.
 */
export function sendRaw(base: string, request: string | Buffer, timeoutMs = 10_000) {
  const url = new URL(base);
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the connection was still open after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.end(request);
  });
}

/** A browser, roughly: it keeps the cookies it is given and sends them back. */
export class Client {
  readonly cookies = new Map<string, string>();

  constructor(
    readonly base: string,
    /** Sent with every request, e.g. what Caddy adds in front of a deployed API. */
    readonly defaultHeaders: Record<string, string> = {},
  ) {}

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const reply = await send(this.base, method, path, {
      ...options,
      headers: {
        ...this.defaultHeaders,
        ...(cookie && { Cookie: cookie }),
        ...options.headers,
      },
    });
    for (const line of reply.setCookies) this.keep(line);
    return reply;
  }

  get = (path: string, options?: RequestOptions) => this.request('GET', path, options);
  post = (path: string, options?: RequestOptions) => this.request('POST', path, options);
  patch = (path: string, options?: RequestOptions) => this.request('PATCH', path, options);
  delete = (path: string, options?: RequestOptions) => this.request('DELETE', path, options);

  /** A copy holding the same cookies: the same browser in another tab, or a stolen cookie jar. */
  clone(): Client {
    const copy = new Client(this.base, this.defaultHeaders);
    for (const [name, value] of this.cookies) copy.cookies.set(name, value);
    return copy;
  }

  private keep(setCookie: string) {
    const [pair = '', ...attributes] = setCookie.split(';');
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    const expired = attributes.some((attribute) => {
      const [key = '', val = ''] = attribute.split('=').map((part) => part.trim());
      return (
        (key.toLowerCase() === 'max-age' && Number(val) <= 0) ||
        (key.toLowerCase() === 'expires' && Date.parse(val) < Date.now())
      );
    });
    if (expired) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

/** The attributes of one Set-Cookie line, names lower-cased; flags map to true. */
export function cookieAttributes(setCookie: string) {
  const [pair = '', ...rest] = setCookie.split(';');
  const at = pair.indexOf('=');
  const attributes = new Map<string, string | true>();
  for (const part of rest) {
    const [key = '', ...value] = part.split('=');
    attributes.set(key.trim().toLowerCase(), value.length ? value.join('=').trim() : true);
  }
  return { name: pair.slice(0, at).trim(), value: pair.slice(at + 1).trim(), attributes };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
