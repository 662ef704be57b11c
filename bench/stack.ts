// What the bench runs against, started piece by piece as a deployment runs it: a database
// migrated by the API bundle, the embedded S3 server in a process of its own, the built API with
// APP_ENV=staging, and the repository's Caddyfile in front over plain HTTP. No worker runs while
// the API is measured: the jobs its uploads enqueue wait in Redis under a prefix of the run's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@shipshape/config';
import { connectDatabase } from '@shipshape/db';
import { createEmptyDatabase } from '@shipshape/db/testing';
import { freePort, spawnTs, waitUntilReady, type TsProcess } from '@shipshape/lifecycle';
import { deleteKeysWithPrefix } from '@shipshape/queue';
import { createStorage, type Storage } from '@shipshape/storage';
import { startCaddy, type RunningCaddy } from '../test/topology/caddy';
import { bundles, migrateWithBundle } from '../test/topology/production';

export const root = fileURLToPath(new URL('../', import.meta.url));
const GiB = 1024 ** 3;

export interface Stack {
  env: Record<string, string>;
  databaseUrl: string;
  storage: Storage;
  /** Run last in, first out by `stop`. */
  cleanups: (() => Promise<unknown>)[];
  stop(): Promise<void>;
}

export async function startStack(
  databaseServerUrl: string,
  redisUrl: string,
  progress: (line: string) => void,
): Promise<Stack> {
  const runId = randomBytes(4).toString('hex');
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const database = await createEmptyDatabase(databaseServerUrl);
    cleanups.push(() => database.drop());
    const s3 = await startS3Process();
    cleanups.push(() => s3.process.stop());
    const prefix = `shipshape-bench-${runId}`;
    cleanups.push(() => deleteKeysWithPrefix(redisUrl, prefix));

    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      APP_ENV: 'staging',
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
      S3_BUCKET: `shipshape-bench-${runId}`,
      SESSION_SECRET: randomBytes(48).toString('base64'),
      // The benchmark signs up without reading mail: the verification mails go nowhere.
      PUBLIC_URL: 'https://localhost',
      SMTP_URL: 'smtp://127.0.0.1:1',
      MAIL_FROM: 'no-reply@localhost',
      TRUST_PROXY: 'loopback',
      // A deployment's default level: every request writes its log line, as in production.
      LOG_LEVEL: 'info',
      // The defaults (100 MiB a file, 1 GiB a user) would refuse the 1 GiB upload.
      UPLOAD_MAX_BYTES: String(2 * GiB),
      FILES_QUOTA_BYTES: String(4 * GiB),
    };
    progress('migrating an empty database with the API bundle');
    await migrateWithBundle(env);
    const storage = createStorage(loadConfig(env).s3);
    await storage.ensureBucket();
    cleanups.push(() => {
      storage.close();
      return Promise.resolve();
    });
    return { env, databaseUrl: database.url, storage, cleanups, stop };
  } catch (error) {
    await stop();
    throw error;
  }
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
