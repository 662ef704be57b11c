// Runs Debian's Caddy with the repository's Caddyfile, configured only through the environment
// variables the Caddyfile documents: in front of a stack, and alone in the Caddy tests, the
// bench and the deploy doctor's tests.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '@shipshape/lifecycle';
import { send } from './http';

export const caddyFile = fileURLToPath(new URL('../../../Caddyfile', import.meta.url));

/** Whether Debian's caddy is installed (.ci/run installs it). */
export const hasCaddy = spawnSync('caddy', ['version']).status === 0;

export interface CaddyOptions {
  /** API_UPSTREAMS: the API replicas, space-separated host:port. */
  apiUpstreams: string;
  /** WEB_ROOT: the built frontend. Default: an empty folder. */
  webRoot?: string;
  /**
   * HTTPS as a real domain gets it, with a certificate for `localhost` from Caddy's own local CA
   * and a redirect from HTTP; otherwise plain HTTP on 127.0.0.1.
   */
  tls?: boolean;
  /** The site's port (HTTPS with `tls`); default: a free one. */
  port?: number;
  /** CADDY_TRUSTED_PROXIES: a proxy in front of Caddy, as on Render and Railway. */
  trustedProxies?: string;
  /** Receives each line Caddy writes as it comes (log() keeps them all too). */
  output?: (line: string) => void;
  /**
   * S3_UPSTREAM and S3_BUCKET: the S3 server Caddy fronts at /<bucket>/ on the site's origin, as
   * compose fronts RustFS, so a browser PUTs upload parts to the site itself.
   */
  s3?: { upstream: string; bucket: string };
}

export interface RunningCaddy {
  /** Where the site answers: https://localhost:PORT with `tls`, else http://127.0.0.1:PORT. */
  url: string;
  /** With `tls`: the plain HTTP port, which only redirects. */
  httpUrl?: string;
  /** With `tls`: the root certificate (PEM) of Caddy's local CA, for clients to trust. */
  ca?: string;
  stop: () => Promise<void>;
  /** Everything Caddy wrote to stderr so far: its own log and the access log. */
  log: () => string;
}

export async function startCaddy({
  apiUpstreams,
  webRoot,
  tls = false,
  port: fixedPort,
  trustedProxies,
  output,
  s3,
}: CaddyOptions): Promise<RunningCaddy> {
  const [port, httpPort] = await Promise.all([fixedPort ?? freePort(), freePort()]);
  // Caddy keeps certificates and its autosaved config under XDG folders: a temp one per run.
  const home = await mkdtemp(join(tmpdir(), 'shipshape-caddy-'));
  const site = tls
    ? { DOMAIN: 'localhost', CADDY_HTTPS_PORT: String(port), CADDY_HTTP_PORT: String(httpPort) }
    : { DOMAIN: `http://127.0.0.1:${port}` };
  const child = spawn('caddy', ['run', '--config', caddyFile, '--adapter', 'caddyfile'], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_DATA_HOME: join(home, 'data'),
      XDG_CONFIG_HOME: join(home, 'config'),
      CADDY_ADMIN: 'off',
      WEB_ROOT: webRoot ?? home,
      API_UPSTREAMS: apiUpstreams,
      ...(trustedProxies && { CADDY_TRUSTED_PROXIES: trustedProxies }),
      ...(s3 && { S3_UPSTREAM: s3.upstream, S3_BUCKET: s3.bucket }),
      ...site,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  if (output) createInterface({ input: child.stderr }).on('line', output);
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await rm(home, { recursive: true, force: true });
  };

  const url = tls ? `https://localhost:${port}` : `http://127.0.0.1:${port}`;
  try {
    // Caddy writes its local CA before it serves the certificate signed by it.
    const ca = tls
      ? await waitFor(
          () => readFile(caRoot(home), 'utf8'),
          () => log,
        )
      : undefined;
    await waitFor(
      () => send(`${url}/`, { ca }),
      () => log,
    );
    return {
      url,
      httpUrl: tls ? `http://localhost:${httpPort}` : undefined,
      ca,
      stop,
      log: () => log,
    };
  } catch (error) {
    await stop();
    throw error;
  }

  async function waitFor<T>(attempt: () => Promise<T>, output: () => string): Promise<T> {
    const deadline = performance.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`caddy exited:\n${output()}`);
      try {
        return await attempt();
      } catch (error) {
        if (performance.now() > deadline) {
          throw new Error(`caddy did not answer within 15 s:\n${output()}`, { cause: error });
        }
        await sleep(100);
      }
    }
  }
}

/** Where Caddy keeps its local CA's root certificate, under XDG_DATA_HOME. */
const caRoot = (home: string) =>
  join(home, 'data', 'caddy', 'pki', 'authorities', 'local', 'root.crt');
