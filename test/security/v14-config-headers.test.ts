// ASVS 4.0.3 V14 (configuration) and V8.2.1 (caching), level 1: every kind of answer the API
// gives (success, 400, 401, 404, health, preflight) carries the same security headers, in
// local and deployed alike; HSTS only over HTTPS; no CORS; nothing that names the software.
// The page and its assets are served by Caddy with the same values: apps/web/test/caddy.test.ts
// compares the two (ADR 021).
import { useTestDatabase } from '@shipshape/db/testing';
import { describe, expect, it } from 'vitest';
import { behindCaddy, deployed, errorLines, signedIn, startApp } from './support/app';
import { sendRaw, type Reply } from '@shipshape/stack/http';

useTestDatabase();

const environments = {
  local: { target: await startApp(), headers: {}, https: false },
  production: {
    target: await startApp(deployed('production')),
    headers: behindCaddy,
    https: true,
  },
};

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name = '', ...values]) => [name, values]),
  );
}

describe.each(Object.entries(environments))('APP_ENV=%s', (_env, { target, headers, https }) => {
  /** One answer of each kind the API gives. */
  async function answers(): Promise<[string, Reply][]> {
    const client = target.client(headers);
    const { client: user } = await signedIn(target, headers);
    return [
      ['health', await client.get('/healthz')],
      ['version', await client.get('/api/version')],
      ['session', await client.get('/api/auth/session')],
      ['401', await client.get('/api/notes')],
      ['404', await client.get('/api/nope')],
      [
        '400',
        await client.post('/api/notes', {
          body: '{',
          headers: { 'Content-Type': 'application/json' },
        }),
      ],
      ['200 signed in', await user.get('/api/notes')],
      ['201 signed in', await user.post('/api/notes', { json: { title: 'x' } })],
      [
        'preflight',
        await client.request('OPTIONS', '/api/notes', {
          headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
        }),
      ],
    ];
  }

  it('V14.4.3/V14.4.4/V14.4.6/V14.4.7: a strict CSP, nosniff, a referrer policy and no framing on every answer', async () => {
    for (const [kind, res] of await answers()) {
      const csp = directives(String(res.headers['content-security-policy']));
      expect(csp.get('default-src'), kind).toEqual(["'self'"]);
      expect(csp.get('script-src'), kind).toEqual(["'self'"]);
      expect(csp.get('object-src'), kind).toEqual(["'none'"]);
      expect(csp.get('frame-ancestors'), kind).toEqual(["'none'"]);
      expect(csp.get('base-uri'), kind).toEqual(["'self'"]);
      expect(csp.get('form-action'), kind).toEqual(["'self'"]);
      expect(csp.get('script-src-attr'), kind).toEqual(["'none'"]);
      expect(String(res.headers['content-security-policy']), kind).not.toMatch(
        /unsafe-inline|unsafe-eval|\*/,
      );
      // Upgrading requests makes sense only where the site is served over HTTPS.
      expect(csp.has('upgrade-insecure-requests'), kind).toBe(https);

      expect(res.headers['x-content-type-options'], kind).toBe('nosniff');
      expect(res.headers['x-frame-options'], kind).toMatch(/^(DENY|SAMEORIGIN)$/);
      expect(res.headers['referrer-policy'], kind).toMatch(
        /^(no-referrer|same-origin|strict-origin)/,
      );
      expect(res.headers['cross-origin-opener-policy'], kind).toBe('same-origin');
      expect(res.headers['cross-origin-resource-policy'], kind).toBe('same-origin');
    }
  });

  it('V14.4.1: every answer with a body says its type and charset', async () => {
    for (const [kind, res] of await answers()) {
      if (res.body.length === 0) continue;
      expect(res.headers['content-type'], kind).toMatch(/^[\w/.+-]+; charset=utf-8$/);
    }
  });

  it('V8.2.1: no /api answer may be kept by a browser or a proxy', async () => {
    for (const [kind, res] of await answers()) {
      if (kind === 'health') continue;
      expect(res.headers['cache-control'], kind).toBe('no-store');
    }
  });

  it('V14.3.3: no header names the server software or its version', async () => {
    for (const [kind, res] of await answers()) {
      expect(res.headers['x-powered-by'], kind).toBeUndefined();
      expect(res.headers.server, kind).toBeUndefined();
    }
  });

  it('V14.5.3: sends no CORS headers, so no other origin can read an answer', async () => {
    for (const [kind, res] of await answers()) {
      expect(res.headers['access-control-allow-origin'], kind).toBeUndefined();
      expect(res.headers['access-control-allow-credentials'], kind).toBeUndefined();
    }
  });

  it(`V14.4.5: ${https ? 'sends HSTS for a year over HTTPS, and never over plain http' : 'sends no HSTS over plain http'}`, async () => {
    const overHttps = await target.client(headers).get('/healthz');
    const overHttp = await target.client({ 'X-Forwarded-Proto': 'http' }).get('/healthz');
    expect(overHttp.headers['strict-transport-security']).toBeUndefined();
    if (!https) {
      expect(overHttps.headers['strict-transport-security']).toBeUndefined();
      return;
    }
    const hsts = String(overHttps.headers['strict-transport-security']);
    expect(Number(/max-age=(\d+)/.exec(hsts)?.[1])).toBeGreaterThanOrEqual(31_536_000);
    expect(hsts).toContain('includeSubDomains');
  });

  it('V14.5.1: answers methods it does not serve with a JSON 404 and echoes nothing', async () => {
    const { client } = await signedIn(target, headers);
    for (const method of ['TRACE', 'PUT', 'PROPFIND', 'SEARCH']) {
      const res = await client.request(method, '/api/notes', {
        headers: { 'X-Echo-Me': 'secret-header-value' },
      });
      expect(res.status, method).toBe(404);
      expect(res.text).not.toContain('secret-header-value');
    }
    // CONNECT would turn the server into a proxy: the connection is refused instead.
    const raw = await sendRaw(
      target.base,
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    );
    expect(raw).not.toMatch(/^HTTP\/1\.1 200/);
  });

  it('V7.4.1: logged no unhandled error for any of this', () => {
    expect(errorLines(target.log)).toEqual([]);
  });
});
