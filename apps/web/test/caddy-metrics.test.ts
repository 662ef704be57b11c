// The API's /metrics is for Prometheus on the private network: the repository's Caddyfile,
// run by Debian's Caddy, answers it with 404 from outside, while the API behind it answers
// everything else. The stand-in API here answers every path, so a 404 can only be Caddy's.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hasCaddy, startCaddy, type RunningCaddy } from '@shipshape/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '@shipshape/stack/http';

const API_BODY = 'from the api';

describe.skipIf(!hasCaddy)('Caddy and /metrics', () => {
  const seen: string[] = [];
  const api = createServer((req, res) => {
    seen.push(req.url ?? '');
    res.end(API_BODY);
  });
  let caddy: RunningCaddy | undefined;

  beforeAll(async () => {
    api.listen(0, '127.0.0.1');
    await once(api, 'listening');
    caddy = await startCaddy({
      apiUpstreams: `127.0.0.1:${(api.address() as AddressInfo).port}`,
    });
  });
  const origin = () => {
    if (!caddy) throw new Error('Caddy did not start');
    return caddy.url;
  };
  afterAll(async () => {
    await caddy?.stop();
    await new Promise((resolve) => api.close(resolve));
  });

  it('passes the API its own paths (the stand-in answers)', async () => {
    const response = await send(`${origin()}/healthz`);
    expect(response.status).toBe(200);
    expect(response.text).toBe(API_BODY);
  });

  it.each(['/metrics', '/metrics/', '/metrics?format=text', '/METRICS', '/api/../metrics'])(
    'answers %s with 404 and never asks the API',
    async (path) => {
      const before = seen.length;
      // The path goes out as written: a URL object would resolve the dot segments first.
      const response = await send(`${origin()}${path}`);
      expect(response.status).toBe(404);
      expect(response.text).not.toContain(API_BODY);
      expect(seen.slice(before)).toEqual([]);
    },
  );
});
