// Runs Debian's Caddy with the repository's Caddyfile, and asks it things over real sockets.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@shipshape/lifecycle';
import { vi } from 'vitest';

export const caddyFile = fileURLToPath(new URL('../../../Caddyfile', import.meta.url));

/** Whether Debian's caddy is installed (.ci/run installs it). */
export const hasCaddy = spawnSync('caddy', ['version']).status === 0;

export { freePort };

/**
 * Caddy on a free port with the repo's Caddyfile, configured only through the environment
 * variables the Caddyfile documents. The caller stops it.
 */
export async function startCaddy(env: { API_UPSTREAMS: string; WEB_ROOT?: string }) {
  const port = await freePort();
  // Caddy keeps certificates and its autosaved config under XDG folders: a temp one per run.
  const home = await mkdtemp(join(tmpdir(), 'shipshape-caddy-'));
  const child = spawn('caddy', ['run', '--config', caddyFile, '--adapter', 'caddyfile'], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_DATA_HOME: join(home, 'data'),
      XDG_CONFIG_HOME: join(home, 'config'),
      DOMAIN: `http://127.0.0.1:${port}`,
      CADDY_ADMIN: 'off',
      WEB_ROOT: env.WEB_ROOT ?? home,
      API_UPSTREAMS: env.API_UPSTREAMS,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await rm(home, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${port}`;
  try {
    await vi.waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`caddy exited:\n${log}`);
        await get(`${base}/`);
      },
      { timeout: 15_000, interval: 100 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { base, stop, log: () => log };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes as they crossed the wire, still compressed. */
  body: Buffer;
  /** Status line and headers as sent, for the page-weight sum. */
  headerBytes: number;
}

/** One request on a fresh connection, nothing decoded, with a client-side timeout. */
export function get(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: init.method ?? 'GET',
      headers: init.headers,
      agent: false,
      timeout: 10_000,
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 10 s`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage}`];
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          headerBytes: Buffer.byteLength(`${lines.join('\r\n')}\r\n\r\n`),
        });
      });
    });
    req.end(init.body);
  });
}
