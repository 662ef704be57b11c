// What the bench runs against, as a deployment runs it (@shipshape/stack): a database migrated by
// the API bundle, the embedded S3 server in a process of its own, the environment of the built
// API with APP_ENV=staging, and the repository's Caddyfile over plain HTTP in front of each
// server measured. The bench starts those servers itself, one at a time; no worker runs while
// the API is measured: the jobs its uploads enqueue wait in Redis under a prefix of the run's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { loadConfig } from '@shipshape/config';
import { connectDatabase } from '@shipshape/db';
import { freePort, spawnTs, waitUntilReady, type TsProcess } from '@shipshape/lifecycle';
import {
  bundles,
  root,
  startCaddy,
  startStack as startAppStack,
  type RunningCaddy,
} from '@shipshape/stack';

export { root };
const GiB = 1024 ** 3;

export interface Stack {
  env: Record<string, string>;
  databaseUrl: string;
  /** Run last in, first out by `stop`, before the stack itself stops. */
  cleanups: (() => Promise<unknown>)[];
  stop(): Promise<void>;
}

export async function startStack(
  databaseServerUrl: string,
  redisUrl: string,
  progress: (line: string) => void,
): Promise<Stack> {
  const s3 = await startS3Process();
  const stack = await startAppStack({
    name: 'bench',
    code: 'bundles',
    appEnv: 'staging',
    postgres: { server: databaseServerUrl },
    redis: redisUrl,
    s3: { endpoint: s3.endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // The bench starts the API itself, once per measurement.
    replicas: 0,
    workers: 0,
    env: {
      // The benchmark signs up without reading mail: the verification mails go nowhere.
      MAIL_FROM: 'no-reply@localhost',
      // A deployment's default level: every request writes its log line, as in production.
      LOG_LEVEL: 'info',
      // The defaults (100 MiB a file, 1 GiB a user) would refuse the 1 GiB upload.
      UPLOAD_MAX_BYTES: String(2 * GiB),
      FILES_QUOTA_BYTES: String(4 * GiB),
    },
    progress,
  }).ready.catch(async (error: unknown) => {
    await s3.process.stop();
    throw error;
  });
  const cleanups: (() => Promise<unknown>)[] = [];
  return {
    env: stack.env,
    databaseUrl: stack.env.DATABASE_URL ?? '',
    cleanups,
    async stop() {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      await stack.stop();
      await s3.process.stop();
    },
  };
}

async function startS3Process(): Promise<{ endpoint: string; process: TsProcess }> {
  const child = spawnTs('bench/servers/s3.ts', { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.child.stdout as NodeJS.ReadableStream });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  return { endpoint: (JSON.parse(line) as { endpoint: string }).endpoint, process: child };
}

export interface RunningServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** The API bundle, as `node apps/api/dist/server.js` runs it; `nodeArgs` for --cpu-prof. */
export async function startApi(
  stack: Stack,
  { nodeArgs = [] as string[], bundle = bundles.api } = {},
): Promise<RunningServer> {
  const port = await freePort();
  // Its log lines go to /dev/null: written, as in production, but not read by this process.
  const child = spawn(process.execPath, [...nodeArgs, bundle], {
    cwd: root,
    env: { ...stack.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(`${url}/readyz`, 30_000);
  return { url, pid: child.pid ?? 0, stop: () => stopChild(child) };
}

/** A baseline server (bench/servers/*.ts) against the same database, for the same user. */
export async function startBaseline(
  stack: Stack,
  name: 'raw' | 'express',
  userId: string,
): Promise<RunningServer> {
  const port = await freePort();
  const child = spawnTs(`bench/servers/${name}.ts`, {
    env: {
      ...stack.env,
      PORT: String(port),
      BENCH_USER_ID: userId,
      DATABASE_POOL_MAX: String(loadConfig(stack.env).databasePoolMax),
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(`${url}/api/notes`, 30_000);
  return {
    url,
    pid: child.child.pid ?? 0,
    stop: async () => {
      await child.stop();
    },
  };
}

/** The repository's Caddyfile in plain HTTP mode, in front of one upstream. */
export function startCaddyFor(server: RunningServer): Promise<RunningCaddy> {
  return startCaddy({
    apiUpstreams: new URL(server.url).host,
    webRoot: `${root}/apps/web/dist`,
  });
}

/** Signs up one user through the API and gives them `count` notes; returns the session cookie. */
export async function seedUser(
  stack: Stack,
  apiUrl: string,
  count: number,
): Promise<{ cookie: string; userId: string }> {
  const res = await fetch(`${apiUrl}/api/auth/register`, {
    method: 'POST',
    // As Caddy forwards it over HTTPS: the session cookie is Secure outside local development.
    headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
    body: JSON.stringify({
      email: `bench-${Date.now()}@example.test`,
      password: 'bench password 1',
    }),
  });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  const { user } = (await res.json()) as { user: { id: string } };
  const session = res.headers.getSetCookie().find((c) => c.startsWith('shipshape.sid='));
  if (!session) throw new Error('sign-up set no session cookie');

  const { pool } = connectDatabase(stack.databaseUrl, { max: 1 });
  try {
    // A millisecond apart, as the API stamps them: every page is a real keyset page.
    await pool.query(
      `insert into notes (user_id, title, body, created_at)
       select $1, 'Note ' || n, repeat('Something worth keeping. ', 8),
              now() - make_interval(secs => n / 1000.0)
       from generate_series(1, $2::int) as n`,
      [user.id, count],
    );
    // Vacuumed as well as analysed, so that autovacuum, which 10,000 inserts would wake, does not
    // start in the middle of a measurement.
    await pool.query('vacuum analyze notes');
  } finally {
    await pool.end();
  }
  return { cookie: session.split(';')[0] ?? '', userId: user.id };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}
