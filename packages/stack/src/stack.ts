// Shipshape started on this machine, one way for every purpose: `pnpm dev` (TypeScript that
// reloads on save, embedded services kept in .data), the end-to-end servers (from source on a
// throwaway database, or the built bundles behind Caddy over HTTPS), the fault suite (the same,
// on servers it stops and restarts) and the bench (the bundles' environment, its processes
// started one by one). The options say what runs and against what; every service the options
// leave out is whatever the environment already names.
import { randomBytes } from 'node:crypto';
import { freePort } from '@shipshape/lifecycle';
import { checkBundlesBuilt, root } from './bundles';
import { startCaddy } from './caddy';
import { appProcess, describeProcesses, type AppProcess, type Code, type Exit } from './processes';
import { deploymentEnv, makeBucket, migrate, startServices, type ServiceOptions } from './services';

export interface StackOptions extends ServiceOptions {
  /** Names its Redis key prefix and its bucket: shipshape-<name>-<run id>. */
  name: string;
  code: Code;
  appEnv: 'local' | 'staging' | 'production';
  /** How many API replicas run. Default 1; 0 leaves starting them to the caller. */
  replicas?: number;
  /** The replicas' ports; default: free ones. */
  ports?: number[];
  /** How many worker processes run. Default: one when there is a Redis, else none. */
  workers?: number;
  /** The repository's Caddyfile in front of the replicas, over HTTPS (`tls`) or plain HTTP. */
  caddy?: { tls: boolean; port?: number; output?: (line: string) => void };
  /** More environment for the API and the workers; it wins over what the stack sets. */
  env?: Record<string, string>;
  /** Receives every line the API replicas and workers write; default: this process's output. */
  output?: (process: string, line: string) => void;
  /** Called when an API replica or worker exits without being asked to. */
  onExit?: (process: string, exit: Exit) => void;
  /** Where progress lines go; default nowhere. */
  progress?: (line: string) => void;
}

export interface Stack {
  /** The site: through Caddy when it runs, else the first replica. */
  url: string;
  /** With Caddy over HTTPS: its local CA (PEM), which signed the certificate at `url`. */
  ca?: string;
  /** Each API replica directly, behind Caddy's back. */
  replicaUrls: string[];
  /** The environment the API and the workers run with, secrets included. */
  env: Record<string, string>;
  processes: { api: AppProcess[]; workers: AppProcess[] };
  /** The mail catcher's inbox page, when the stack runs one. */
  mailUrl?: string;
  /** Everything Caddy wrote so far, its access log included; empty without Caddy. */
  caddyLog: () => string;
  stop: () => Promise<void>;
}

export interface StartingStack {
  /** Settles once every replica answers /readyz (in watch mode: once they are started). */
  ready: Promise<Stack>;
  /**
   * Stops the processes (SIGTERM; rejects, after the rest, naming any that did not exit 0),
   * then everything else it started, last first. Called while starting, it waits for the step
   * under way and stops what has started; `ready` then never settles.
   */
  stop: () => Promise<void>;
}

export function startStack(options: StackOptions): StartingStack {
  const cleanups: (() => Promise<unknown>)[] = [];
  const processes: AppProcess[] = [];
  let stopping: Promise<void> | undefined;
  let step: Promise<unknown> = Promise.resolve();

  /** One start-up step; once a stop has begun, the start goes no further. */
  async function next<T>(work: () => Promise<T>): Promise<T> {
    if (stopping) await new Promise<never>(() => undefined);
    const done = work();
    step = done.catch(() => undefined);
    return done;
  }

  async function stopEverything() {
    await step;
    const running = processes.filter((process) => process.pid !== undefined);
    const exits = await Promise.all(processes.map((process) => process.stop()));
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    const unclean = running.filter((process) => exits[processes.indexOf(process)]?.code !== 0);
    if (unclean.length > 0) {
      throw new Error(`${unclean.map((p) => p.name).join(' and ')} did not stop cleanly`);
    }
  }
  const stop = () => (stopping ??= stopEverything());

  const ready = start(options, { next, cleanups, processes, stop }).catch(
    async (error: unknown) => {
      await stop().catch(() => undefined);
      throw error;
    },
  );
  return { ready, stop };
}

interface Started {
  next: <T>(work: () => Promise<T>) => Promise<T>;
  cleanups: (() => Promise<unknown>)[];
  processes: AppProcess[];
  stop: () => Promise<void>;
}

async function start(options: StackOptions, started: Started): Promise<Stack> {
  const { next, cleanups, processes } = started;
  if (options.code === 'bundles') checkBundlesBuilt();
  const progress = options.progress ?? (() => undefined);
  const runId = `${options.name}-${randomBytes(4).toString('hex')}`;
  const replicas = options.replicas ?? 1;
  const ports =
    options.ports ?? (await Promise.all(Array.from({ length: replicas }, () => freePort())));
  const replicaUrls = ports.map((port) => `http://127.0.0.1:${port}`);
  // Caddy's address is known before the API starts: the API signs upload part URLs for it.
  const caddyPort = options.caddy && (options.caddy.port ?? (await freePort()));
  const siteUrl =
    caddyPort && `${options.caddy?.tls ? 'https://localhost' : 'http://127.0.0.1'}:${caddyPort}`;

  const services = await next(() =>
    startServices(options, {
      bucket: options.bucket ?? `shipshape-${runId}`,
      redisPrefix: `shipshape-${runId}`,
      // Without Caddy in front of the bucket, the page PUTs upload parts to S3 across origins.
      corsOrigins: siteUrl ? undefined : [`http://localhost:${ports[0]}`, replicaUrls[0] ?? ''],
      cleanups,
      progress,
    }),
  );
  const base = options.code === 'bundles' ? bareEnv() : process.env;
  const env: Record<string, string> = {
    ...(base as Record<string, string>),
    APP_ENV: options.appEnv,
    ...(options.appEnv !== 'local' && deploymentEnv()),
    ...services.env,
    // The site itself, where Caddy passes /<bucket>/* on to the S3 server (Caddyfile, @bucket).
    ...(siteUrl && { S3_PUBLIC_ENDPOINT: siteUrl }),
    ...options.env,
  };

  progress(
    options.code === 'bundles'
      ? 'Applying database migrations with the API bundle ...'
      : 'Applying database migrations ...',
  );
  await next(() => migrate(options.code, env));
  if (services.bucketToMake) {
    progress('Creating the bucket ...');
    await next(() => makeBucket(env));
  }

  const workers = options.workers ?? (env.REDIS_URL ? 1 : 0);
  const own = { code: options.code, output: options.output, onExit: options.onExit };
  const api = ports.map((port, i) =>
    appProcess({
      ...own,
      name: `api-${i + 1}`,
      role: 'api',
      env: { ...env, PORT: String(port) },
      url: replicaUrls[i],
    }),
  );
  const workerProcesses = Array.from({ length: workers }, (_, i) =>
    appProcess({ ...own, name: `worker-${i + 1}`, role: 'worker', env }),
  );
  processes.push(...api, ...workerProcesses);
  describeProcesses(options.code, ports.length, workers, Boolean(env.REDIS_URL)).forEach(progress);
  await next(() => Promise.all(processes.map((process) => process.start())));

  let caddy: Awaited<ReturnType<typeof startCaddy>> | undefined;
  if (options.caddy && caddyPort) {
    progress("Starting Caddy with the repository's Caddyfile ...");
    const bucket = env.S3_BUCKET ?? '';
    caddy = await next(() =>
      startCaddy({
        apiUpstreams: ports.map((port) => `127.0.0.1:${port}`).join(' '),
        webRoot: `${root}/apps/web/dist`,
        tls: options.caddy?.tls,
        port: caddyPort,
        output: options.caddy?.output,
        s3: env.S3_ENDPOINT ? { upstream: new URL(env.S3_ENDPOINT).host, bucket } : undefined,
      }),
    );
    cleanups.push(caddy.stop);
  }

  return {
    url: caddy?.url ?? replicaUrls[0] ?? '',
    ca: caddy?.ca,
    replicaUrls,
    env,
    processes: { api, workers: workerProcesses },
    mailUrl: services.mailUrl,
    caddyLog: caddy?.log ?? (() => ''),
    stop: started.stop,
  };
}

/** A deployment's processes see nothing of this shell but where programs are. */
function bareEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
}
