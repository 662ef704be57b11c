// The repository's Caddyfile, run by Debian's Caddy 2.6 in front of the built frontend and a real
// API listening on a port: what a browser gets, and what the API is told, over real sockets.
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gunzipSync, zstdDecompressSync } from 'node:zlib';
import { useTestDatabase } from '@shipshape/db/testing';
import { freePort } from '@shipshape/lifecycle';
import { createLogger } from '@shipshape/logger';
import { hasCaddy, startCaddy } from '@shipshape/stack';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { KEEP_ALIVE_TIMEOUT_MS } from '../../api/src/http/graceful-shutdown';
import { buildTestApp, deployedEnv } from '../../api/test/helpers';
import { buildWeb } from '../build';
import { send } from '@shipshape/stack/http';

if (!hasCaddy) {
  console.warn('Skipping the Caddy tests: `caddy` is not installed (apt-get install -y caddy).');
}

useTestDatabase();

const listen = async (server: Server) => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
};

describe.skipIf(!hasCaddy)('Caddy in front of the frontend and the API', () => {
  const dist = join(tmpdir(), `shipshape-web-${process.pid}`);
  // What reached the API: the headers Caddy sent, and the client IP the API logged.
  const seen: { url?: string; headers: IncomingHttpHeaders }[] = [];
  const logLines: { url?: string; clientIp?: string }[] = [];
  const logger = createLogger(
    { isLocal: false, logLevel: 'info' },
    'api',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        const line = JSON.parse(chunk.toString()) as { req?: { url?: string }; clientIp?: string };
        logLines.push({ url: line.req?.url, clientIp: line.clientIp });
        done();
      },
    }),
  );
  // A deployed API (HSTS and secure cookies switched on) that trusts the proxy on loopback.
  const app = buildTestApp(
    { APP_ENV: 'staging', ...deployedEnv, TRUST_PROXY: 'loopback' },
    {
      logger,
    },
  );
  const api = createServer((req, res) => {
    // The URL as it arrived: Express rewrites req.url as it routes.
    seen.push({ url: req.url, headers: req.headers });
    app(req, res);
  });
  let caddy: Awaited<ReturnType<typeof startCaddy>>;

  beforeAll(async () => {
    await buildWeb(dist);
    api.listen(0, '127.0.0.1');
    await once(api, 'listening');
    const upstream = `127.0.0.1:${(api.address() as AddressInfo).port}`;
    caddy = await startCaddy({ apiUpstreams: upstream, webRoot: dist });
  });
  afterAll(async () => {
    await caddy.stop();
    await new Promise((resolve) => api.close(resolve));
    await rm(dist, { recursive: true, force: true });
  });

  it('serves the page with no-cache and the fingerprinted assets as immutable', async () => {
    const page = await send(`${caddy.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers['cache-control']).toBe('no-cache');
    const assets = assetPaths(page.body.toString());
    expect(assets).toHaveLength(3);
    for (const path of assets) {
      expect(path).toMatch(/^\/assets\/\w+\.\w{8}\.(js|css|svg)$/);
      const asset = await send(`${caddy.url}${path}`);
      expect(asset.status).toBe(200);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    expect((await send(`${caddy.url}/README.md`)).headers['cache-control']).toBe('no-cache');
  });

  it('compresses with zstd or gzip, whichever the client takes', async () => {
    const page = await readFile(join(dist, 'index.html'));
    const zstd = await send(`${caddy.url}/`, { headers: { 'accept-encoding': 'zstd, gzip' } });
    expect(zstd.headers['content-encoding']).toBe('zstd');
    expect(zstdDecompressSync(zstd.body).equals(page)).toBe(true);
    const gzip = await send(`${caddy.url}/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body).equals(page)).toBe(true);
    expect(gzip.body.length).toBeLessThan(page.length / 2);
  });

  it('delivers the first page and its first API call in under 50 KB', async () => {
    const headers = { 'accept-encoding': 'gzip' };
    const page = await send(`${caddy.url}/`, { headers });
    const assets = await Promise.all(
      assetPaths(gunzipSync(page.body).toString()).map((p) =>
        send(`${caddy.url}${p}`, { headers }),
      ),
    );
    // The page then asks the API who is signed in.
    const session = await send(`${caddy.url}/api/auth/session`, { headers });
    const all = [page, ...assets, session];
    const bytes = all.reduce((sum, res) => sum + res.headerBytes + res.body.length, 0);
    console.info(`First page through Caddy: ${all.length} requests, ${bytes} bytes`);
    expect(bytes).toBeLessThan(50_000);
  });

  it('proxies /api/* with its prefix, and tells the API the address that connected', async () => {
    const res = await send(`${caddy.url}/api/auth/session`, {
      headers: { 'x-forwarded-for': '203.0.113.99', 'x-request-id': 'chosen-by-the-client' },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ user: null });
    const request = seen.at(-1);
    expect(request?.url).toBe('/api/auth/session');
    // A forged X-Forwarded-For is replaced by Caddy, not passed on: the client is 127.0.0.1.
    expect(request?.headers['x-forwarded-for']).toBe('127.0.0.1');
    // The request id is Caddy's, and comes back to the client for its bug report.
    expect(request?.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-request-id']).toBe(request?.headers['x-request-id']);
    expect(logLines.filter((l) => l.url === '/api/auth/session').at(-1)?.clientIp).toBe(
      '127.0.0.1',
    );
  });

  it('passes on the client address from a proxy in front of it, when told to trust that proxy', async () => {
    // As on Render and Railway, where the platform's proxy connects to Caddy (here: loopback).
    const upstream = `127.0.0.1:${(api.address() as AddressInfo).port}`;
    const behind = await startCaddy({ apiUpstreams: upstream, trustedProxies: '127.0.0.1/32' });
    onTestFinished(behind.stop);
    await send(`${behind.url}/api/auth/session`, {
      headers: { 'x-forwarded-for': '203.0.113.99', 'x-forwarded-proto': 'https' },
    });
    expect(seen.at(-1)?.headers['x-forwarded-for']).toBe('203.0.113.99, 127.0.0.1');
    expect(seen.at(-1)?.headers['x-forwarded-proto']).toBe('https');
  });

  it('sends no Server header and no HSTS over plain http, from Caddy or the API', async () => {
    for (const path of ['/', '/api/auth/session', '/healthz']) {
      const res = await send(`${caddy.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.server, path).toBeUndefined();
      expect(res.headers['strict-transport-security'], path).toBeUndefined();
    }
  });

  it('keeps HSTS on API answers that arrived over HTTPS at the proxy', async () => {
    const direct = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const res = await send(`${direct}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('serves a domain over HTTPS with HSTS on every answer, and redirects plain HTTP to it', async () => {
    const upstream = `127.0.0.1:${(api.address() as AddressInfo).port}`;
    const https = await startCaddy({ apiUpstreams: upstream, webRoot: dist, tls: true });
    onTestFinished(https.stop);
    for (const path of ['/', '/api/auth/session']) {
      const res = await send(`${https.url}${path}`, { ca: https.ca });
      expect(res.status, path).toBe(200);
      expect(res.headers['strict-transport-security'], path).toBe(
        'max-age=31536000; includeSubDomains',
      );
    }
    const redirect = await send(`${https.httpUrl}/notes?x=1`);
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toMatch(/^https:\/\/localhost(:\d+)?\/notes\?x=1$/);
  });

  it("gives the page the same security headers as helmet gives the API's answers", async () => {
    const page = (await send(`${caddy.url}/`)).headers;
    const answer = (await send(`${caddy.url}/api/auth/session`)).headers;
    for (const name of securityHeaderNames) {
      expect(page[name], name).toBe(answer[name]);
    }
    // The API's policy adds upgrade-insecure-requests when deployed; the page loads only its
    // own relative URLs, so there is nothing for it to upgrade.
    expect(directives(page['content-security-policy'])).toEqual(
      directives(answer['content-security-policy']).filter(
        (d) => d !== 'upgrade-insecure-requests',
      ),
    );
  });
});

describe.skipIf(!hasCaddy)('Caddy retries', () => {
  it('never sends a POST again after the upstream it reached died mid-request', async () => {
    // Two upstreams that read the request and then drop the connection, counting what arrives.
    const arrived: string[] = [];
    const dying = () =>
      createServer((req) => {
        arrived.push(req.method ?? '');
        req.socket.destroy();
      });
    // Three, because Caddy skips a failed upstream for a while: a retry needs another one.
    const upstreams = [await listen(dying()), await listen(dying()), await listen(dying())];
    const caddy = await startCaddy({ apiUpstreams: upstreams.join(' ') });
    onTestFinished(caddy.stop);

    const post = await send(`${caddy.url}/api/notes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title":"once"}',
    });
    expect(post.status).toBe(502);
    expect(arrived).toEqual(['POST']);

    // The same failure on a GET, which is safe to repeat, is tried on another upstream.
    arrived.length = 0;
    expect((await send(`${caddy.url}/api/notes`)).status).toBe(502);
    expect(arrived.length).toBeGreaterThan(1);
    expect(new Set(arrived)).toEqual(new Set(['GET']));
  });

  it('holds requests while the only upstream is restarting, and delivers each at most once', async () => {
    const port = await freePort();
    const caddy = await startCaddy({ apiUpstreams: `127.0.0.1:${port}` });
    onTestFinished(caddy.stop);
    const arrived: string[] = [];
    // Like the API, it acts on a request only once the whole body has arrived.
    const restarted = createServer((req, res) => {
      buffer(req).then(
        (body) => {
          arrived.push(`${req.method} ${body.toString()}`.trim());
          res.end('ok');
        },
        () => {}, // Caddy gave up on this request midway: nothing arrived.
      );
    });
    onTestFinished(() => new Promise<void>((resolve) => restarted.close(() => resolve())));

    // Nothing listens yet: each connection is refused, and Caddy keeps trying.
    const read = send(`${caddy.url}/api/notes`);
    const write = send(`${caddy.url}/api/notes`, { method: 'POST', body: '{"title":"x"}' });
    setTimeout(() => restarted.listen(port, '127.0.0.1'), 1000);
    expect((await read).status).toBe(200);
    // Caddy up to 2.11.1 cannot send a body again after a refused connection (its transport
    // closes it: caddyserver/caddy#7546), so it answers 502 or 503 there; later versions
    // deliver it. Either way the POST reaches the API at most once.
    const { status } = await write;
    expect([200, 502, 503]).toContain(status);
    expect(arrived.sort()).toEqual(status === 200 ? ['GET', 'POST {"title":"x"}'] : ['GET']);
  });

  it('closes an idle connection to the API before the API would', async () => {
    // Whichever side closes an idle kept-alive connection races a request the other side may be
    // sending on it; a POST lost that way is a 502 nobody may retry. So Caddy must give up first.
    const closedBy: string[] = [];
    const api = createServer((_req, res) => res.end('ok'));
    api.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    api.on('connection', (socket: Socket) => {
      // 'end' is the peer's FIN (Caddy closed it); 'timeout' is the API's own keep-alive timer.
      socket.once('end', () => closedBy.push('caddy'));
      socket.once('timeout', () => closedBy.push('api'));
    });
    const caddy = await startCaddy({ apiUpstreams: await listen(api) });
    onTestFinished(caddy.stop);

    expect((await send(`${caddy.url}/api/notes`)).status).toBe(200);
    await vi.waitFor(
      () => {
        if (closedBy.length === 0) throw new Error('the connection is still open');
      },
      { timeout: KEEP_ALIVE_TIMEOUT_MS + 2_000, interval: 100 },
    );
    expect(closedBy).toEqual(['caddy']);
  });
});

const securityHeaderNames = [
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

/** The script, stylesheet and icon the page names. */
function assetPaths(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? '');
}

function directives(policy: string | string[] | undefined): string[] {
  return String(policy).split(';').sort();
}
