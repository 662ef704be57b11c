// Steady traffic through the VPS's front Caddy while a deploy or a rollback runs, for
// `pnpm test:deploy`. Every request that fails or gets an unexpected status is counted.
import { Agent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where a site answers: its https:// origin, the CA that signed it, the address to dial. */
export interface Site {
  origin: string;
  ca: string;
  /** The host names are the test's own (localhost, staging.localhost): all dial this address. */
  address: string;
}

export interface Answer {
  status: number;
  body: string;
}

/** One HTTPS request through `agent` (keep-alive, as a browser's), the name resolved to site.address. */
export function get(site: Site, path: string, init: RequestInit & { agent?: Agent } = {}) {
  const url = new URL(path, site.origin);
  return new Promise<Answer>((resolve, reject) => {
    const req = httpsRequest(url, {
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      agent: init.agent ?? false,
      ca: site.ca,
      lookup: (_host, options, callback) => {
        if (options.all) callback(null, [{ address: site.address, family: 4 }]);
        else callback(null, site.address, 4);
      },
      signal: AbortSignal.timeout(10_000),
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.end(typeof init.body === 'string' ? init.body : undefined);
  });
}

export interface LoadResult {
  seconds: number;
  requests: number;
  posts: number;
  failed: number;
  unexpected: number;
  /** How many answers named each version: api (/api/version) and web (/version.txt). */
  versions: Record<string, number>;
  problems: string[];
}

/**
 * Four keep-alive clients read (GET /api/auth/session, /api/version, /version.txt) and one
 * registers a new account (POST) every 200 ms, from a second before `action` until two seconds
 * after it. A POST is never retried by Caddy once it reached an upstream, so it shows whether a
 * request was cut while the old api or web drained. Its 201 also needs the API to believe the
 * proxies' X-Forwarded-Proto (the same-origin check compares https://host with Origin).
 */
export async function underLoad(site: Site, action: () => Promise<void>): Promise<LoadResult> {
  const result: LoadResult = {
    seconds: 0,
    requests: 0,
    posts: 0,
    failed: 0,
    unexpected: 0,
    versions: {},
    problems: [],
  };
  const started = Date.now();
  let running = true;
  const attempt = async (agent: Agent, path: string, init: RequestInit, expected: number) => {
    result.requests += 1;
    const at = `+${((Date.now() - started) / 1000).toFixed(1)}s ${init.method ?? 'GET'} ${path}`;
    try {
      const answer = await get(site, path, { ...init, agent });
      if (answer.status !== expected) {
        result.unexpected += 1;
        result.problems.push(`${at}: ${answer.status} ${answer.body.slice(0, 120)}`);
      } else if (path === '/api/version') {
        count(`api ${(JSON.parse(answer.body) as { commit: string }).commit}`);
      } else if (path === '/version.txt') {
        count(`web ${answer.body.trim()}`);
      }
    } catch (error) {
      result.failed += 1;
      const cause = (error as Error & { cause?: Error }).cause?.message ?? '';
      result.problems.push(`${at}: ${(error as Error).message} ${cause}`);
    }
  };
  const count = (key: string) => (result.versions[key] = (result.versions[key] ?? 0) + 1);
  const reader = async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: site.ca });
    while (running) {
      await attempt(agent, '/api/auth/session', {}, 200);
      await attempt(agent, '/api/version', {}, 200);
      await attempt(agent, '/version.txt', {}, 200);
      // Paced, not flat out: the server here is two cores running both environments, the front
      // Caddy and this client. Flat out, Postgres took over 5 s to accept a connection, and the
      // test measured a starved machine rather than the release (the bench measures throughput).
      await sleep(20);
    }
    agent.destroy();
  };
  const writer = async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: site.ca });
    for (let n = 0; running; n += 1) {
      result.posts += 1;
      await attempt(
        agent,
        '/api/auth/register',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: site.origin },
          body: JSON.stringify({
            email: `deploy-${Date.now()}-${n}@example.com`,
            password: 'correct horse battery staple',
          }),
        },
        201,
      );
      await sleep(200);
    }
    agent.destroy();
  };
  const clients = [reader(), reader(), reader(), reader(), writer()];
  await sleep(1000);
  try {
    await action();
  } finally {
    await sleep(2000);
    running = false;
    await Promise.all(clients);
  }
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

export function summary(name: string, result: LoadResult): string {
  const versions = Object.entries(result.versions)
    .map(([version, count]) => `${version} ${count}`)
    .join(', ');
  return (
    `${name}: ${result.seconds.toFixed(1)} s, ${result.requests} requests (${result.posts} POST), ` +
    `${result.failed} failed, ${result.unexpected} unexpected status; answers by version: ${versions}`
  );
}
