// `pnpm run doctor` against the real Caddyfile in front of a real API (Caddy's local CA for TLS),
// and against broken deployments: certificates expired, self-signed, about to expire or for
// another name; a plain HTTP port that does not redirect; another commit than the one expected.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useTestDatabase } from '@shipshape/db/testing';
import { hasCaddy, startCaddy, type RunningCaddy } from '@shipshape/stack';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildTestApp, deployedEnv } from '../../apps/api/test/helpers';
import { checkDns } from '../../scripts/doctor/dns';
import { checkReadyz, checkVersion, sameCommit } from '../../scripts/doctor/endpoints';
import { checkSecurityHeaders } from '../../scripts/doctor/headers';
import { parseOptions, UsageError } from '../../scripts/doctor/options';
import { checkRedirect } from '../../scripts/doctor/redirect';
import type { CheckResult } from '../../scripts/check-result';
import { runDoctor, targetFor } from '../../scripts/doctor/run';
import { checkTls } from '../../scripts/doctor/tls';
import { createTestCa, serveDns, serveHttp, serveHttps } from './doctor-stacks';

if (!hasCaddy) {
  console.warn(
    'Skipping the doctor tests on Caddy: `caddy` is not installed (apt-get install -y caddy).',
  );
}

useTestDatabase();

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const COMMIT = '4f2a9c1e0b7d3a5f6e8c9b0a1d2e3f4a5b6c7d8e';
const timeoutMs = 10_000;

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'shipshape-doctor-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** `pnpm run doctor` as a workflow runs it: a process of its own, its output and exit code. */
async function runDoctorProcess(args: string[]) {
  const child = spawn(join(repoRoot, 'node_modules/.bin/tsx'), ['scripts/doctor.ts', ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A doctor that hangs fails the test rather than the whole run.
  const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, lines: stdout.trim().split('\n'), stderr };
}

/** Runs every check in this process and keeps the lines it printed. */
async function runInProcess(options: Parameters<typeof runDoctor>[0]) {
  const lines: string[] = [];
  const summary = await runDoctor(options, (line) => lines.push(line));
  return { ...summary, lines };
}

const lineOf = (lines: string[], name: string) =>
  lines.find((line) => line.slice(2).startsWith(`${name} — `));

describe.skipIf(!hasCaddy)('the doctor against the local Caddy stack', () => {
  const app = buildTestApp({
    APP_ENV: 'staging',
    ...deployedEnv,
    TRUST_PROXY: 'loopback',
    GIT_COMMIT: COMMIT,
    BUILD_TIME: '2026-01-02T03:04:05Z',
  });
  const api = createServer(app);
  let caddy: RunningCaddy;
  let caFile: string;
  let httpPort: number;

  beforeAll(async () => {
    const webRoot = join(scratch, 'web');
    await mkdir(webRoot);
    await writeFile(join(webRoot, 'index.html'), '<!doctype html><title>Shipshape</title>');
    api.listen(0, '127.0.0.1');
    await once(api, 'listening');
    const upstream = `127.0.0.1:${(api.address() as AddressInfo).port}`;
    caddy = await startCaddy({ apiUpstreams: upstream, webRoot, tls: true });
    caFile = join(scratch, 'caddy-root.crt');
    await writeFile(caFile, caddy.ca ?? '');
    httpPort = Number(new URL(caddy.httpUrl ?? '').port);
  });
  afterAll(async () => {
    await caddy.stop();
    await new Promise((resolve) => api.close(resolve));
  });

  const options = () => ({
    url: new URL(caddy.url),
    ca: caddy.ca ?? '',
    httpPort,
    timeoutMs,
  });

  it('passes every check and exits 0, run as a process like `pnpm run doctor`', async () => {
    const { code, lines, stderr } = await runDoctorProcess([
      caddy.url,
      '--ca',
      caFile,
      '--http-port',
      String(httpPort),
      '--expect-commit',
      COMMIT.slice(0, 7),
    ]);
    console.info(lines.join('\n'));
    expect(stderr).toBe('');
    expect(lines[0]).toBe(`Checking ${caddy.url}`);
    const checks = lines.slice(1, -1);
    expect(checks.filter((line) => !line.startsWith('✓ '))).toEqual([]);
    for (const name of [
      'DNS',
      'TLS certificate',
      'HTTP → HTTPS redirect',
      'HSTS',
      '/healthz',
      '/readyz',
      '/api/version',
    ]) {
      expect(lineOf(checks, name), name).toBeDefined();
    }
    expect(lineOf(checks, 'TLS certificate')).toMatch(
      /chain verifies, valid for localhost, issued by Caddy Local Authority/,
    );
    expect(lineOf(checks, 'HSTS')).toContain(
      'max-age=31536000; includeSubDomains on / and /api/version',
    );
    expect(lineOf(checks, '/api/version')).toContain(
      `serves commit ${COMMIT}, built 2026-01-02T03:04:05Z, as expected`,
    );
    expect(lines.at(-1)).toBe(`All ${checks.length} checks passed.`);
    expect(code).toBe(0);
  });

  it('fails on another commit than the expected one, and says what to look at', async () => {
    const result = await checkVersion(targetFor(options()), 'deadbee');
    expect(result).toMatchObject({
      ok: false,
      detail: `serves commit ${COMMIT}, built 2026-01-02T03:04:05Z, expected deadbee`,
    });
    expect(result.fix).toContain('the new image is not the one answering');
  });

  it('fails the redirect when plain HTTP answers 200 instead', async () => {
    const plain = await serveHttp();
    onTestFinished(plain.close);
    const { failed, lines } = await runInProcess({ ...options(), httpPort: plain.port });
    expect(lineOf(lines, 'HTTP → HTTPS redirect')).toBe(
      `✗ HTTP → HTTPS redirect — http://localhost:${plain.port}/doctor/redirect-probe?kept=1 answered 200 instead of redirecting. Fix: let Caddy answer port ${plain.port}: DOMAIN must be the bare domain name (an http:// prefix turns automatic HTTPS and its redirect off), and nothing else may listen on that port`,
    );
    // Only that one: the rest of the stack is healthy.
    expect(failed).toBe(1);
  });

  it('fails the redirect when nothing listens on the HTTP port', async () => {
    const closed = await serveHttp();
    await closed.close();
    const result = await checkRedirect({ ...targetFor(options()), httpPort: closed.port });
    expect(result.ok).toBe(false);
    expect(result.detail).toBe(`connection to localhost:${closed.port} refused`);
    expect(result.fix).toContain(`publish port ${closed.port} on the web container`);
  });

  it("refuses Caddy's local CA unless --ca names its root", async () => {
    const result = await checkTls(targetFor({ ...options(), ca: undefined }));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(
      /^the chain from Caddy Local Authority .* does not lead to a trusted root/,
    );
    expect(result.fix).toContain('pass its root certificate with --ca');
  });
});

describe('the doctor against broken certificates', () => {
  let ca: ReturnType<typeof createTestCa>;
  beforeAll(() => {
    ca = createTestCa(scratch);
  });

  it('fails on an expired certificate and exits 1, run as a process', async () => {
    const site = await serveHttps(ca.issue('localhost', -120, -30));
    onTestFinished(site.close);
    const caFile = join(scratch, 'test-ca.crt');
    await writeFile(caFile, ca.root);
    const { code, lines } = await runDoctorProcess([
      `https://localhost:${site.port}`,
      '--ca',
      caFile,
      '--timeout',
      '5',
    ]);
    console.info(lines.join('\n'));
    expect(lineOf(lines, 'TLS certificate')).toMatch(
      /^✗ TLS certificate — expired 30 days ago, on \d{4}-\d\d-\d\d \(issued by Doctor Test CA\)\. Fix: Caddy renews certificates by itself, so renewal is failing: read its log/,
    );
    expect(lines.at(-1)).toMatch(/^\d+ of \d+ checks failed\.$/);
    expect(code).toBe(1);
  });

  it('fails on a self-signed certificate', async () => {
    const site = await serveHttps(ca.selfSigned('localhost'));
    onTestFinished(site.close);
    const result = await checkTls(target(`https://localhost:${site.port}`));
    expect(result).toMatchObject({
      ok: false,
      detail: 'self-signed (localhost signed it itself): browsers refuse it',
    });
    expect(result.fix).toContain("Caddy gets one from Let's Encrypt");
  });

  it('fails on a certificate whose renewal is overdue', async () => {
    const site = await serveHttps(ca.issue('localhost', -85, 5));
    onTestFinished(site.close);
    const result = await checkTls(target(`https://localhost:${site.port}`, ca.root));
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(
      /^renewal is overdue: issued by Doctor Test CA, TLSv1\.3, expires in [45] days/,
    );
  });

  it('fails on a certificate for another name', async () => {
    const site = await serveHttps(ca.issue('elsewhere.example', -1, 89));
    onTestFinished(site.close);
    const result = await checkTls(target(`https://localhost:${site.port}`, ca.root));
    expect(result).toMatchObject({
      ok: false,
      detail: 'issued for DNS:elsewhere.example, not for localhost',
    });
    expect(result.fix).toContain('set DOMAIN to localhost');
  });

  it('passes a valid certificate and says when it expires', async () => {
    const site = await serveHttps(ca.issue('localhost', -1, 89));
    onTestFinished(site.close);
    const result = await checkTls(target(`https://localhost:${site.port}`, ca.root));
    expect(result.ok).toBe(true);
    expect(result.detail).toMatch(
      /^chain verifies, valid for localhost, issued by Doctor Test CA, TLSv1\.3, expires in 8[89] days/,
    );
  });
});

describe('the other checks, one at a time', () => {
  it('reads A records from DNS and says which record to add when there is none', async () => {
    const dns = await serveDns({ 'shipshape.test': '192.0.2.10' });
    onTestFinished(dns.close);
    const found = await checkDns('shipshape.test', { timeoutMs, servers: [dns.server] });
    expect(found).toEqual({ name: 'DNS', ok: true, detail: 'shipshape.test → A 192.0.2.10' });
    const missing = await checkDns('missing.test', { timeoutMs, servers: [dns.server] });
    expect(missing).toMatchObject({
      ok: false,
      detail: 'missing.test has no A or AAAA record (ENOTFOUND)',
    });
    expect(missing.fix).toContain('add an A record for missing.test');
  });

  it('resolves localhost on this machine, not in DNS', async () => {
    const result = await checkDns('localhost', { timeoutMs });
    expect(result.ok).toBe(true);
    expect(result.detail).toMatch(/^localhost → .*127\.0\.0\.1.* \(from the system, not DNS\)$/);
  });

  it('names each missing security header and who must send it', async () => {
    // A bare server with no security headers, announcing what it runs.
    const bare = await serveHttp((_req, res) => {
      res.setHeader('server', 'nginx/1.25');
      res.setHeader('x-powered-by', 'Express');
      res.end('{}');
    });
    onTestFinished(bare.close);
    const results = await checkSecurityHeaders(target(`http://127.0.0.1:${bare.port}`));
    const failed = Object.fromEntries(results.filter((r) => !r.ok).map((r) => [r.name, r]));
    expect(Object.keys(failed)).toEqual([
      'HSTS',
      'Content-Security-Policy',
      'X-Content-Type-Options',
      'Referrer-Policy',
      'framing',
      'no Server header',
    ]);
    expect(failed.HSTS?.detail).toBe('no Strict-Transport-Security on / and /api/version');
    expect(failed.HSTS?.fix).toMatch(/Caddyfile .*; the API sends HSTS only when/);
    expect(failed['no Server header']?.detail).toBe(
      'sends Server: nginx/1.25, X-Powered-By: Express on / and /api/version',
    );
  });

  it('names the dependency /readyz finds unavailable', async () => {
    const app = buildTestApp(
      {},
      {
        readinessChecks: {
          database: () => Promise.resolve(),
          queue: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
        },
      },
    );
    const api = createServer(app);
    api.listen(0, '127.0.0.1');
    await once(api, 'listening');
    onTestFinished(() => new Promise<void>((resolve) => api.close(() => resolve())));
    const result: CheckResult = await checkReadyz(
      target(`http://127.0.0.1:${(api.address() as AddressInfo).port}`),
    );
    expect(result).toMatchObject({
      ok: false,
      detail: '503: queue unavailable (database ok, queue unavailable)',
    });
    expect(result.fix).toContain(
      'bring queue back (docker compose ps redis, docker compose logs redis) and check REDIS_URL',
    );
  });

  it('takes a short commit hash as the same commit, and nothing shorter than 7 digits', () => {
    expect(sameCommit(COMMIT, COMMIT.slice(0, 7))).toBe(true);
    expect(sameCommit(COMMIT.slice(0, 12), COMMIT)).toBe(true);
    expect(sameCommit(COMMIT, COMMIT.slice(0, 6))).toBe(false);
    expect(sameCommit(COMMIT, 'deadbeef')).toBe(false);
  });

  it('refuses a plain http address and a malformed commit on the command line', () => {
    expect(() => parseOptions(['http://example.com'])).toThrow(UsageError);
    expect(() => parseOptions(['https://example.com', '--expect-commit', 'main'])).toThrow(
      /7 to 40 hex digits/,
    );
    expect(parseOptions(['https://example.com/some/path', '--http-port', '8080'])).toMatchObject({
      url: new URL('https://example.com'),
      httpPort: 8080,
      timeoutMs: 10_000,
    });
  });
});

function target(url: string, ca?: string) {
  return targetFor({ url: new URL(url), ...(ca && { ca }), httpPort: 80, timeoutMs });
}
