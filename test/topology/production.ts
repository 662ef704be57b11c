// Shipshape as a deployment runs it, on this machine and without containers: the built bundles
// with APP_ENV=production and secrets made here, a migration run by the API bundle's own
// command, two API replicas and a worker, and Caddy with the repository's Caddyfile in front,
// serving HTTPS from its local CA. Postgres and Redis are the servers given (a database and a
// key prefix of its own on each); S3 is an embedded server with a bucket made here, as the
// compose files' one-shot service makes it, and Caddy fronts it on the site's origin as compose
// fronts RustFS: browsers upload parts to https://localhost:PORT/<bucket>/…, the address the API
// signs them for (S3_PUBLIC_ENDPOINT). Used by the end-to-end suite's production project,
// and by the fault suite (test/faults), which gives its own S3, runs more workers and kills,
// freezes and restarts single processes through `processes`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@shipshape/config';
import { createEmptyDatabase } from '@shipshape/db/testing';
import { freePort, waitUntilReady } from '@shipshape/lifecycle';
import { deleteKeysWithPrefix } from '@shipshape/queue';
import { createStorage } from '@shipshape/storage';
import { embeddedS3Env, startEmbeddedS3, type EmbeddedS3 } from '@shipshape/storage/embedded';
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
  /** How many worker processes run. Default 1. */
  workers?: number;
  /**
   * An S3 server to use instead of an embedded one started here (a test's own, which it stops
   * and starts): the topology makes its bucket on it but never stops it.
   */
  s3?: { endpoint: string; accessKeyId: string; secretAccessKey: string };
  /**
   * Receives every line the API replicas and workers write, with the process's name ('api-1',
   * 'worker-2'). Default: their output goes to this process's stdout and stderr.
   */
  output?: (process: string, line: string) => void;
  /** Receives each line Caddy writes, its access log included (caddyLog() keeps them too). */
  caddyOutput?: (line: string) => void;
}

/** One API replica or worker, which a test may signal, stop and start again. */
export interface TopologyProcess {
  /** 'api-1', 'api-2', 'worker-1'… */
  name: string;
  /** The running process's id; undefined while stopped. */
  readonly pid: number | undefined;
  /** Sends a signal and returns: SIGKILL, SIGSTOP, SIGCONT. */
  signal(signal: NodeJS.Signals): void;
  /** Sends `signal` (default SIGTERM) and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Starts it again with the same environment and port; an API replica is awaited on /readyz. */
  start(): Promise<void>;
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
  /** The API replicas (in the order of `replicaUrls`) and the workers. */
  processes: { api: TopologyProcess[]; workers: TopologyProcess[] };
  /** Everything Caddy wrote so far: its own log and the access log. */
  caddyLog: () => string;
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
  workers = 1,
  s3: givenS3,
  output,
  caddyOutput,
}: TopologyOptions): Promise<ProductionTopology> {
  const missing = Object.values(bundles).filter((file) => !existsSync(`${root}/${file}`));
  if (missing.length > 0) throw new Error(`not built (run pnpm build): ${missing.join(', ')}`);

  const runId = randomBytes(4).toString('hex');
  const cleanups: (() => Promise<unknown>)[] = [];
  const children: ManagedProcess[] = [];
  const stop = async () => {
    await Promise.allSettled(children.map((child) => child.stop()));
    // Last in, first out: Caddy before the API, the API before its database.
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };

  try {
    const database = await createEmptyDatabase(databaseServerUrl);
    cleanups.push(() => database.drop());
    // A given server is the caller's to stop.
    const s3: EmbeddedS3 = givenS3
      ? { ...givenS3, stop: () => Promise.resolve() }
      : await startEmbeddedS3();
    cleanups.push(() => s3.stop());
    const redisPrefix = `shipshape-topology-${runId}`;
    cleanups.push(() => deleteKeysWithPrefix(redisUrl, redisPrefix));
    // Caddy's port is known before the API starts: the API signs part URLs for that address.
    const caddyPort = port ?? (await freePort());
    const bucket = `shipshape-topology-${runId}`;

    const env: Record<string, string> = {
      APP_ENV: 'production',
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: redisPrefix,
      ...embeddedS3Env(s3),
      S3_BUCKET: bucket,
      // The site itself, where Caddy passes /<bucket>/* on to the S3 server (Caddyfile, @bucket).
      S3_PUBLIC_ENDPOINT: `https://localhost:${caddyPort}`,
      // Made here, as an operator would: `openssl rand -base64 48`.
      SESSION_SECRET: randomBytes(48).toString('base64'),
      // Where links in mail point, and where mail goes: nowhere, unless the caller says.
      PUBLIC_URL: 'https://localhost',
      SMTP_URL: 'smtp://127.0.0.1:1',
      MAIL_FROM: 'Shipshape <no-reply@localhost>',
      // Caddy connects from loopback; the API believes its X-Forwarded-* and nobody else's.
      TRUST_PROXY: 'loopback',
      GIT_COMMIT: gitCommit(),
      LOG_LEVEL: 'warn',
      ...extraEnv,
    };
    const appEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };

    progress('migrating an empty database with the API bundle');
    await migrateWithBundle(appEnv);
    progress('creating the bucket');
    await createStorage(loadConfig(env).s3).ensureBucket();

    const ports = replicaPorts ?? (await Promise.all(Array.from({ length: replicas }, freePort)));
    const replicaUrls = ports.map((p) => `http://127.0.0.1:${p}`);
    const workerCount = workers === 1 ? 'a worker' : `${workers} workers`;
    progress(`starting ${ports.length} API replicas (${ports.join(', ')}) and ${workerCount}`);
    const api = ports.map((p, i) =>
      manage(`api-${i + 1}`, bundles.api, { ...appEnv, PORT: String(p) }, output, replicaUrls[i]),
    );
    const workerProcesses = Array.from({ length: workers }, (_, i) =>
      manage(`worker-${i + 1}`, bundles.worker, appEnv, output),
    );
    children.push(...api, ...workerProcesses);
    children.forEach((child) => child.spawn());
    await Promise.all(replicaUrls.map((url) => waitUntilReady(`${url}/readyz`, 30_000)));

    progress('starting Caddy with the repository Caddyfile');
    const caddy = await startCaddy({
      apiUpstreams: ports.map((p) => `127.0.0.1:${p}`).join(' '),
      webRoot: `${root}/apps/web/dist`,
      tls: true,
      port: caddyPort,
      output: caddyOutput,
      s3: { upstream: new URL(s3.endpoint).host, bucket: env.S3_BUCKET ?? bucket },
    });
    cleanups.push(caddy.stop);
    progress(`ready at ${caddy.url}`);
    return {
      url: caddy.url,
      ca: caddy.ca ?? '',
      replicaUrls,
      env,
      processes: { api, workers: workerProcesses },
      caddyLog: caddy.log,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

interface ManagedProcess extends TopologyProcess {
  spawn(): void;
}

/** A bundle run as a process that can be stopped and started again, as a supervisor would. */
function manage(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  output: TopologyOptions['output'],
  readyUrl?: string,
): ManagedProcess {
  let child: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  function spawnChild() {
    child = spawn(process.execPath, [entry], {
      cwd: root,
      env,
      stdio: ['ignore', output ? 'pipe' : 'inherit', output ? 'pipe' : 'inherit'],
    });
    if (output) {
      for (const stream of [child.stdout, child.stderr]) {
        if (stream) createInterface({ input: stream }).on('line', (line) => output(name, line));
      }
    }
    const current = child;
    exited = once(current, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  return {
    name,
    get pid() {
      return running() ? child?.pid : undefined;
    },
    spawn: spawnChild,
    signal(signal) {
      if (running()) child?.kill(signal);
    },
    async stop(signal = 'SIGTERM') {
      if (!child || !exited) return { code: null, signal: null };
      if (running()) {
        // A frozen process (SIGSTOP) would keep any other signal pending until it runs again.
        if (signal !== 'SIGKILL') child.kill('SIGCONT');
        child.kill(signal);
      }
      return exited;
    },
    async start() {
      if (running()) return;
      spawnChild();
      if (readyUrl) await waitUntilReady(`${readyUrl}/readyz`, 30_000);
    },
  };
}

/** The release step a deployment runs: the API bundle's migrate command, to its end. */
export async function migrateWithBundle(env: NodeJS.ProcessEnv): Promise<void> {
  await runToEnd(spawn(process.execPath, [bundles.migrate], { cwd: root, env }));
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
