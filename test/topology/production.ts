// Shipshape as a deployment runs it, on this machine and without containers: the built bundles
// with APP_ENV=production and secrets made here, a migration run by the API bundle's own
// command, two API replicas and a worker, and Caddy with the repository's Caddyfile in front,
// serving HTTPS from its local CA. Postgres and Redis are the servers given (a database and a
// key prefix of its own on each); S3 is an embedded server with a bucket made here, as the
// compose files' one-shot service makes it. Used by the end-to-end suite's production project.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@shipshape/config';
import { createEmptyDatabase } from '@shipshape/db/testing';
import { freePort, waitUntilReady } from '@shipshape/lifecycle';
import { deleteKeysWithPrefix } from '@shipshape/queue';
import { createStorage } from '@shipshape/storage';
import { embeddedS3Env, startEmbeddedS3 } from '@shipshape/storage/embedded';
import { startCaddy } from './caddy';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The files `pnpm build` makes and a deployment runs. */
export const bundles = {
  api: 'apps/api/dist/server.js',
  migrate: 'apps/api/dist/migrate.js',
  worker: 'apps/worker/dist/main.js',
  web: 'apps/web/dist/index.html',
};

/** `pnpm build`, its output shown: the topology runs what it makes. */
export function buildBundles(): void {
  const result = spawnSync('pnpm', ['build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('pnpm build failed');
}

export interface TopologyOptions {
  /** A Postgres server this process may create a database on. */
  databaseServerUrl: string;
  redisUrl: string;
  /** How many API replicas run behind Caddy. Default 2. */
  replicas?: number;
  /** Caddy's HTTPS port; default: a free one. */
  port?: number;
  /** The replicas' ports; default: free ones. */
  replicaPorts?: number[];
  /** More environment for the API and the worker (limits the tests change). */
  env?: Record<string, string>;
  /** Where progress lines go. */
  progress?: (line: string) => void;
}

export interface ProductionTopology {
  /** https://localhost:PORT, through Caddy. */
  url: string;
  /** Caddy's local CA (PEM): the certificate at `url` is signed by it. */
  ca: string;
  /** Each API replica directly, behind Caddy's back. */
  replicaUrls: string[];
  /** The environment the API and worker run with (secrets included). */
  env: Record<string, string>;
  stop: () => Promise<void>;
}

export async function startProductionTopology({
  databaseServerUrl,
  redisUrl,
  replicas = 2,
  port,
  replicaPorts,
  env: extraEnv = {},
  progress = (line) => console.log(`topology: ${line}`),
}: TopologyOptions): Promise<ProductionTopology> {
  const missing = Object.values(bundles).filter((file) => !existsSync(`${root}/${file}`));
  if (missing.length > 0) throw new Error(`not built (run pnpm build): ${missing.join(', ')}`);

  const runId = randomBytes(4).toString('hex');
  const cleanups: (() => Promise<unknown>)[] = [];
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.allSettled(children.map(stopChild));
    // Last in, first out: Caddy before the API, the API before its database.
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };

  try {
    const database = await createEmptyDatabase(databaseServerUrl);
    cleanups.push(() => database.drop());
    const s3 = await startEmbeddedS3();
    cleanups.push(() => s3.stop());
    const redisPrefix = `shipshape-topology-${runId}`;
    cleanups.push(() => deleteKeysWithPrefix(redisUrl, redisPrefix));

    const env: Record<string, string> = {
      APP_ENV: 'production',
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: redisPrefix,
      ...embeddedS3Env(s3),
      S3_BUCKET: `shipshape-topology-${runId}`,
      // Made here, as an operator would: `openssl rand -base64 48`.
      SESSION_SECRET: randomBytes(48).toString('base64'),
      // Caddy connects from loopback; the API believes its X-Forwarded-* and nobody else's.
      TRUST_PROXY: 'loopback',
      GIT_COMMIT: gitCommit(),
      LOG_LEVEL: 'warn',
      ...extraEnv,
    };
    const appEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };

    progress('migrating an empty database with the API bundle');
    await runToEnd(spawn(process.execPath, [bundles.migrate], { cwd: root, env: appEnv }));
    progress('creating the bucket');
    await createStorage(loadConfig(env).s3).ensureBucket();

    const ports = replicaPorts ?? (await Promise.all(Array.from({ length: replicas }, freePort)));
    const replicaUrls = ports.map((p) => `http://127.0.0.1:${p}`);
    progress(`starting ${ports.length} API replicas (${ports.join(', ')}) and a worker`);
    for (const p of ports) {
      children.push(start(bundles.api, { ...appEnv, PORT: String(p) }));
    }
    children.push(start(bundles.worker, appEnv));
    await Promise.all(replicaUrls.map((url) => waitUntilReady(`${url}/readyz`, 30_000)));

    progress('starting Caddy with the repository Caddyfile');
    const caddy = await startCaddy({
      apiUpstreams: ports.map((p) => `127.0.0.1:${p}`).join(' '),
      webRoot: `${root}/apps/web/dist`,
      tls: true,
      port,
    });
    cleanups.push(caddy.stop);
    progress(`ready at ${caddy.url}`);
    return { url: caddy.url, ca: caddy.ca ?? '', replicaUrls, env, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function start(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [entry], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

async function runToEnd(child: ChildProcess): Promise<void> {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`exited with ${code}:\n${output}`);
}

function gitCommit(): string {
  const result = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : 'unknown';
}
