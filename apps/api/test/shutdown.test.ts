// The API as a real process, stopped the way a platform stops it: SIGTERM under steady
// keep-alive traffic drains it (readiness 503, `Connection: close`, requests under way finish)
// and it exits 0 with no request reset. (Uploads no longer pass through the API: ADR 031.)
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { useTestDatabase } from '@shipshape/db/testing';
import { freePort } from '@shipshape/lifecycle';
import { storageEnv } from '@shipshape/storage';
import type { Dispatcher } from 'undici';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { keepAlive, send } from '@shipshape/stack/http';
import { password, uniqueEmail } from './helpers';

const database = useTestDatabase();

const redisUrl = inject('redisUrl') ?? '';
if (!redisUrl) console.warn('No Redis: shutdown.test.ts is skipped.');

// tsx as a loader in this one process, not its CLI, so the signal reaches the server itself.
const tsxLoader = import.meta.resolve('tsx');
const serverEntry = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts the API as a deployment runs it (JSON logs), and waits until it answers. */
async function startApi(env: Record<string, string> = {}) {
  const s3 = inject('s3');
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', tsxLoader, serverEntry], {
    env: {
      PATH: process.env.PATH,
      APP_ENV: 'staging',
      PORT: String(port),
      SESSION_SECRET: 'shutdown-test-secret-that-is-long-enough-0123456789',
      PUBLIC_URL: 'https://shipshape.example.com',
      SMTP_URL: 'smtp://127.0.0.1:1',
      MAIL_FROM: 'no-reply@shipshape.example.com',
      // The test speaks plain HTTP as the proxy would, and says the client used HTTPS.
      TRUST_PROXY: 'loopback',
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `${inject('redisPrefix')}-api-shutdown`,
      ...storageEnv(s3),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const logs: { msg?: string }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    logs.push(line.startsWith('{') ? (JSON.parse(line) as { msg?: string }) : { msg: line });
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const url = `http://127.0.0.1:${port}`;

  await vi.waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`The API exited at start:\n${stderr}`);
      const res = await fetch(`${url}/healthz`);
      if (!res.ok) throw new Error(`healthz answered ${res.status}`);
    },
    { timeout: 30_000, interval: 100 },
  );

  return {
    url,
    child,
    logs,
    async waitForExit(timeout = 15_000) {
      const timer = sleep(timeout, 'timeout' as const, { ref: false });
      const outcome = await Promise.race([exited, timer]);
      if (outcome === 'timeout') throw new Error(`The API did not exit within ${timeout} ms`);
      const [code, signal] = outcome;
      return { code, signal };
    },
  };
}

/** Headers of a browser behind the HTTPS proxy, signed in as a new user. */
async function signUp(url: string) {
  const res = await send(`${url}/api/auth/register`, {
    json: { email: uniqueEmail(), password },
    headers: { 'x-forwarded-proto': 'https' },
  });
  expect(res.status, res.text).toBe(201);
  const setCookie = res.setCookies.find((c) => c.startsWith('shipshape.sid='));
  const [cookie = ''] = (setCookie ?? '').split(';');
  const userId = (res.json as { user: { id: string } }).user.id;
  return { userId, headers: { cookie, 'x-forwarded-proto': 'https' } };
}

interface Outcome {
  path: string;
  sentAt: number;
  status?: number;
  connection?: string | undefined;
  error?: string;
}

/** One keep-alive client sending requests back to back until the server stops accepting. */
async function steadyClient(
  url: string,
  pool: Dispatcher,
  paths: string[],
  headers: Record<string, string>,
  outcomes: Outcome[],
) {
  const until = Date.now() + 20_000;
  for (let i = 0; Date.now() < until; i++) {
    const path = paths[i % paths.length] ?? '/healthz';
    const outcome: Outcome = { path, sentAt: Date.now() };
    outcomes.push(outcome);
    try {
      const answer = await send(`${url}${path}`, { headers, dispatcher: pool });
      outcome.status = answer.status;
      outcome.connection = answer.headers.connection;
    } catch (error) {
      outcome.error = (error as Error).message;
      // Refused: the server no longer accepts connections, so the client goes elsewhere.
      if (outcome.error.includes('ECONNREFUSED')) return;
    }
  }
}

describe.skipIf(!redisUrl)('the API process on SIGTERM', () => {
  it('drains steady keep-alive traffic: readiness 503, Connection: close, nothing reset, exit 0', async () => {
    const api = await startApi();
    const user = await signUp(api.url);

    // A request whose body comes slowly, so it is still under way when the signal comes.
    // As long as a note may be (20,000 characters), in 16 pieces.
    const note = Buffer.from(JSON.stringify({ title: 'sent slowly', body: 'x'.repeat(20_000) }));
    const chunks = Array.from({ length: 16 }, (_, i) =>
      note.subarray((i * note.length) / 16, ((i + 1) * note.length) / 16),
    );
    const slowRequest = send(`${api.url}/api/notes`, {
      headers: {
        ...user.headers,
        'content-type': 'application/json',
        'content-length': String(note.length),
      },
      body: slowly(chunks, 1_500),
    });

    // A load balancer's probe: one keep-alive connection, idle when the signal comes.
    const probe = keepAlive({ connections: 1 });
    const ready = await send(`${api.url}/readyz`, { dispatcher: probe });
    expect(ready.status).toBe(200);

    const pool = keepAlive({ connections: 6 });
    const outcomes: Outcome[] = [];
    const clients = [0, 1, 2, 3, 4, 5].map((n) =>
      steadyClient(
        api.url,
        pool,
        n % 2 ? ['/readyz', '/healthz'] : ['/api/notes', '/readyz'],
        user.headers,
        outcomes,
      ),
    );
    await sleep(500);
    api.child.kill('SIGTERM');
    await vi.waitFor(() => {
      if (!api.logs.some((log) => log.msg?.startsWith('SIGTERM received'))) {
        throw new Error('The API has not logged the signal yet');
      }
    });
    const drainingSince = Date.now();

    // Readiness fails at once, and the answer closes the probe's connection.
    const notReady = await send(`${api.url}/readyz`, { dispatcher: probe });
    expect(notReady.status).toBe(503);
    expect(notReady.json).toMatchObject({ error: { code: 'shutting_down' } });
    expect(notReady.headers.connection).toBe('close');

    expect(await api.waitForExit()).toEqual({ code: 0, signal: null });
    await Promise.all(clients);
    await Promise.all([pool.destroy(), probe.destroy()]);

    // No request was reset: each got its answer, or found the server no longer accepting.
    const failures = outcomes.filter((o) => o.error && !o.error.includes('ECONNREFUSED'));
    expect(failures).toEqual([]);
    expect(outcomes.filter((o) => o.status && o.status !== 200 && o.path !== '/readyz')).toEqual(
      [],
    );
    // Everything sent while draining closed its connection; readiness said 503 each time.
    const during = outcomes.filter((o) => o.status && o.sentAt > drainingSince);
    expect(during.filter((o) => o.connection !== 'close')).toEqual([]);
    expect(during.filter((o) => o.path === '/readyz' && o.status !== 503)).toEqual([]);

    const slow = await slowRequest;
    expect(slow.status, slow.text).toBe(201);
    expect(slow.headers.connection).toBe('close');
    expect(api.logs.map((log) => log.msg)).toContain('API stopped');
  }, 60_000);
});

/** The chunks spread over about `ms`, as a slow connection sends them. */
async function* slowly(chunks: Iterable<Buffer>, ms: number): AsyncGenerator<Buffer> {
  const all = [...chunks];
  for (const chunk of all) {
    await sleep(ms / all.length);
    yield chunk;
  }
}
