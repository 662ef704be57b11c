// The one HTTP client of the repository's tests and tools, on undici: the deploy doctor (a
// command a person runs) needs it as much as the tests do, so it lives in this package, which
// depends on no test, rather than beside them.
//
// Every request has a deadline, connection included: a server that never answers fails the
// caller instead of stalling it. The path goes on the wire exactly as written, and nothing is
// followed or decoded (no redirect, no decompression): a test sees what the server sent. It
// speaks HTTP/1.1 only, where undici would offer HTTP/2: Caddy and the tests' expectations of
// it (a dropped POST's error line, a page's header bytes) differ between the two.
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { Agent, parseCookie, type Dispatcher } from 'undici';

const DEFAULT_TIMEOUT_MS = 15_000;

export interface Reply {
  status: number;
  /** As node:http shapes them: Set-Cookie a list, any other repeated header joined by commas. */
  headers: IncomingHttpHeaders;
  /** The bytes as they crossed the wire, still compressed if they were. */
  body: Buffer;
  text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- callers read what came
  setCookies: string[];
  /** The status line and headers as sent, for summing a page's weight. */
  headerBytes: number;
}

export interface RequestOptions {
  /** Default: POST when there is a body, else GET. */
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON, with Content-Type application/json unless `headers` say otherwise. */
  json?: unknown;
  /** An iterable body is sent a piece at a time as it yields, as a slow client sends. */
  body?: string | Buffer | AsyncIterable<Buffer>;
  timeoutMs?: number;
  /** For https: the root certificates to trust, such as Caddy's local CA. */
  ca?: string | string[];
  /** false accepts any certificate: the doctor looks behind one it has already refused. */
  verifyTls?: boolean;
  /** The address to connect from (127.0.0.2, …), to stand for another client on loopback. */
  localAddress?: string;
  /** A pool of kept-alive connections (keepAlive()); by default a fresh connection, closed after. */
  dispatcher?: Dispatcher;
  /** Read at most this much of the body; the rest is read and dropped. */
  maxBodyBytes?: number;
}

/** No answer, or not all of it, within the request's deadline. */
class TimeoutError extends Error {
  readonly code = 'TIMEOUT';
}

/** One request to `url`; its path is sent as written (dot segments and odd bytes included). */
export async function send(url: string, options: RequestOptions = {}): Promise<Reply> {
  const [, origin = url, rawPath] = /^(\w+:\/\/[^/?#]+)(.*)$/.exec(url) ?? [];
  const path = rawPath || '/';
  const { timeoutMs = DEFAULT_TIMEOUT_MS, maxBodyBytes = Infinity } = options;
  const headers = lowerCased(options.headers);
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  const signal = AbortSignal.timeout(timeoutMs);
  const dispatcher =
    options.dispatcher ??
    new Agent({
      allowH2: false,
      localAddress: options.localAddress,
      // No connect timeout of undici's own: the deadline above covers the connection too.
      connect: { ca: options.ca, rejectUnauthorized: options.verifyTls ?? true, timeout: 0 },
    });
  try {
    const answer = await dispatcher.request({
      origin,
      path,
      method,
      headers,
      body: typeof body === 'object' && !Buffer.isBuffer(body) ? Readable.from(body) : body,
      signal,
      // Connection: close on a connection of its own, as node:http's `agent: false` sends.
      reset: !options.dispatcher,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of answer.body as AsyncIterable<Buffer>) {
      if (size < maxBodyBytes) chunks.push(chunk.subarray(0, maxBodyBytes - size));
      size += chunk.length;
    }
    return reply(answer, Buffer.concat(chunks));
  } catch (error) {
    if (!signal.aborted) throw error;
    throw new TimeoutError(`no answer to ${method} ${path} within ${timeoutMs / 1000} s`);
  } finally {
    if (!options.dispatcher) void dispatcher.destroy();
  }
}

/** Connections kept open between requests, at most `connections` per origin, as a browser keeps them. */
export function keepAlive({ connections = 8, ca }: { connections?: number; ca?: string } = {}) {
  return new Agent({ allowH2: false, connections, connect: { ca } });
}

function reply(answer: Dispatcher.ResponseData, body: Buffer): Reply {
  const status = answer.statusCode;
  const headers: IncomingHttpHeaders = {};
  const lines = [`HTTP/1.1 ${status} ${answer.statusText || STATUS_CODES[status]}`];
  for (const [name, value = ''] of Object.entries(answer.headers)) {
    const values = [value].flat();
    lines.push(...values.map((one) => `${name}: ${one}`));
    headers[name] = name === 'set-cookie' ? values : values.join(', ');
  }
  const text = body.toString('utf8');
  return {
    status,
    headers,
    body,
    text,
    json: parseJson(text),
    setCookies: headers['set-cookie'] ?? [],
    headerBytes: Buffer.byteLength(`${lines.join('\r\n')}\r\n\r\n`),
  };
}

/** A browser, roughly: it keeps the cookies it is given and sends them back. */
export class Client {
  readonly cookies = new Map<string, string>();
  private readonly pool: Dispatcher | undefined;

  constructor(
    readonly base: string,
    readonly options: {
      /** Sent with every request, e.g. what Caddy adds in front of a deployed API. */
      headers?: Record<string, string>;
      ca?: string;
      /** Keep connections open between requests; by default each request has its own. */
      keepAlive?: boolean;
    } = {},
  ) {
    this.pool = options.keepAlive ? keepAlive({ ca: options.ca }) : undefined;
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const answer = await send(`${this.base}${path}`, {
      ca: this.options.ca,
      dispatcher: this.pool,
      ...options,
      method,
      headers: {
        ...lowerCased(this.options.headers),
        ...(cookie && { cookie }),
        ...lowerCased(options.headers),
      },
    });
    for (const line of answer.setCookies) this.keep(line);
    return answer;
  }

  get = (path: string, options?: RequestOptions) => this.request('GET', path, options);
  post = (path: string, options?: RequestOptions) => this.request('POST', path, options);
  patch = (path: string, options?: RequestOptions) => this.request('PATCH', path, options);
  delete = (path: string, options?: RequestOptions) => this.request('DELETE', path, options);

  /** A copy holding the same cookies: the same browser in another tab, or a stolen cookie jar. */
  clone(): Client {
    const copy = new Client(this.base, this.options);
    for (const [name, value] of this.cookies) copy.cookies.set(name, value);
    return copy;
  }

  close() {
    void this.pool?.destroy();
  }

  private keep(setCookie: string) {
    const cookie = parseCookie(setCookie);
    if (!cookie) return;
    const expired =
      (cookie.maxAge !== undefined && cookie.maxAge <= 0) ||
      (cookie.expires !== undefined && Number(cookie.expires) < Date.now());
    if (expired) this.cookies.delete(cookie.name);
    else this.cookies.set(cookie.name, cookie.value);
  }
}

/**
 * Bytes written to a raw TCP connection, and what came back before the server closed it (or the
 * deadline). For what undici will not send: a malformed request line, or CONNECT.
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

/** Header names in lower case, so that a caller's own header replaces the default one. */
function lowerCased(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
