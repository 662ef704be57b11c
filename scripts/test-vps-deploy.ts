// Exercises deploy/vps/deploy.sh and rollback.sh against a real container engine, under load:
//   pnpm test:deploy
// Deploys v1 of the three images, then v2 while clients keep requesting through Caddy, checks
// that /api/version says v2, rolls back to v1 under the same load and checks v1. Every request
// that fails or gets an unexpected status is counted; any at all makes the exit code 1.
// Without an engine at DOCKER_HOST it says so and exits 0. v1 and v2 are the images built from
// this tree (localhost/shipshape-{api,worker,web}:test, which pnpm test:containers makes) with
// GIT_COMMIT set to v1 and v2 (see buildImages). Everything runs in the compose project
// shipshape-rollout, removed at the end.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '@shipshape/lifecycle';

const root = join(import.meta.dirname, '..');
const project = 'shipshape-rollout';
// A subnet of its own, apart from the example env files (172.28/172.29.0) and other tests.
const subnet = '172.29.77';
const targets = ['api', 'worker', 'web'] as const;
const image = (target: string, version: string) => `localhost/shipshape-${target}:${version}`;

const scratch = mkdtempSync(join(tmpdir(), 'vps-deploy-'));
const envFile = join(scratch, 'staging.env');
const deployEnv = {
  ...process.env,
  SHIPSHAPE_PROJECT: project,
  SHIPSHAPE_ENV_FILE: envFile,
  SHIPSHAPE_STATE_DIR: join(scratch, 'state'),
  // The images exist only here; there is no registry to pull them from.
  SHIPSHAPE_PULL: 'missing',
  ...(isPodman() && { SHIPSHAPE_COMPOSE_FILES: podmanOverride() }),
};
const started = Date.now();
const log = (line: string) =>
  console.log(`[vps-deploy +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);

if (!engineAnswers()) {
  console.log(
    `test-vps-deploy: skipped, no container engine answers at ${process.env.DOCKER_HOST ?? 'the default Docker socket'} ` +
      '(run /work/shared/tools/container-engine up and export DOCKER_HOST, or start Docker).',
  );
  process.exit(0);
}

const compose = composeCommand();
let exitCode = 1;
process.once('SIGINT', () => {
  tearDown();
  process.exit(130);
});
try {
  exitCode = await main();
} catch (error) {
  console.error(error);
} finally {
  tearDown();
}
process.exit(exitCode);

async function main(): Promise<number> {
  buildImages();
  const httpPort = await freePort();
  const httpsPort = await freePort();
  writeEnvFile(httpPort, httpsPort);
  const base = `http://127.0.0.1:${httpPort}`;

  log('step 1: deploy v1 (nothing running yet)');
  await deploy(['deploy/vps/deploy.sh', 'staging', ...targets.map((t) => image(t, 'v1'))]);
  await expectVersion(base, 'v1');

  log('step 2: deploy v2 under load');
  const toV2 = await underLoad(base, () =>
    deploy(['deploy/vps/deploy.sh', 'staging', ...targets.map((t) => image(t, 'v2'))]),
  );
  await expectVersion(base, 'v2');

  log('step 3: roll back to v1 under load');
  const toV1 = await underLoad(base, () => deploy(['deploy/vps/rollback.sh', 'staging']));
  await expectVersion(base, 'v1');

  console.log('');
  for (const [name, result] of [
    ['deploy v2', toV2],
    ['rollback v1', toV1],
  ] as const) {
    console.log(
      `${name}: ${result.seconds.toFixed(1)} s, ${result.requests} requests (${result.posts} POST), ` +
        `${result.failed} failed, ${result.unexpected} unexpected status; versions answering: ` +
        Object.entries(result.versions)
          .map(([version, count]) => `${version} ${count}`)
          .join(', '),
    );
    for (const problem of result.problems.slice(0, 10)) console.log(`  ${problem}`);
  }
  const bad = toV2.failed + toV2.unexpected + toV1.failed + toV1.unexpected;
  console.log(bad === 0 ? 'test-vps-deploy: passed' : `test-vps-deploy: ${bad} bad requests`);
  return bad === 0 ? 0 : 1;
}

function engineAnswers(): boolean {
  const result = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return result.status === 0 && result.stdout.trim() !== '';
}

// The same choice as deploy/vps/lib.sh: the compose plugin if there is one, else docker-compose.
function composeCommand(): string[] {
  const plugin = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' });
  return plugin.status === 0 ? ['docker', 'compose'] : ['docker-compose'];
}

function buildImages(): void {
  const exists = (tag: string) =>
    spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0;
  const build = (tag: string, args: string[], cwd: string) => {
    log(`image ${tag}: building`);
    const result = spawnSync('docker', ['build', '-q', '-t', tag, ...args], {
      cwd,
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`docker build of ${tag} failed:\n${result.stderr}`);
  };
  for (const target of targets) {
    // The images `pnpm test:containers` builds from this tree (localhost/shipshape-*:test), or
    // a build of them here when that has not run.
    const base = image(target, 'test');
    if (exists(base)) log(`image ${base}: present, built from this tree by pnpm test:containers`);
    else build(base, ['--target', target, '.'], root);
    // v1 and v2 are that image with a commit each. Not builds of the Dockerfile with GIT_COMMIT
    // as a build argument: the engine here (podman 4.3, buildah) reuses a cached ENV GIT_COMMIT
    // layer when only a build argument changed, and the image would name an older commit.
    for (const version of ['v1', 'v2']) {
      const context = join(scratch, `${version}-${target}`);
      const env = target === 'web' ? '' : `ENV GIT_COMMIT=${version}\n`;
      mkdirSync(context);
      writeFileSync(
        join(context, 'Dockerfile'),
        `FROM ${base}\n${env}LABEL org.opencontainers.image.revision=${version}\n`,
      );
      build(image(target, version), ['.'], context);
    }
  }
}

function isPodman(): boolean {
  const result = spawnSync('docker', ['version', '--format', '{{json .Server.Components}}'], {
    encoding: 'utf8',
  });
  return result.stdout.includes('Podman');
}

// docker-compose 1.29 compares a network's IPAM options with the compose file before each `up`;
// podman reports an option Docker does not (driver: host-local), so without this every `up`
// after the first would refuse with "needs to be recreated". Compose replaces `ipam` as a whole
// when it merges files, so the subnet is repeated here.
function podmanOverride(): string {
  const file = join(scratch, 'podman.yml');
  writeFileSync(
    file,
    [
      'networks:',
      '  backend:',
      '    ipam:',
      '      options:',
      '        driver: host-local',
      '      config:',
      `        - subnet: ${subnet}.0/24`,
      `          ip_range: ${subnet}.128/25`,
      '',
    ].join('\n'),
  );
  return file;
}

function writeEnvFile(httpPort: number, httpsPort: number): void {
  const password = 'rollout-test-password-0123456789';
  writeFileSync(
    envFile,
    [
      `APP_ENV_FILE=${envFile}`,
      // Required by docker-compose.prod.yml; deploy.sh pins the real images in an override.
      'IMAGE_REGISTRY=localhost',
      'IMAGE_TAG=v1',
      'COMPOSE_PROFILES=s3',
      // Plain HTTP on every host name: the load comes to 127.0.0.1:<port>.
      'DOMAIN=:80',
      `HTTP_PORT=${httpPort}`,
      `HTTPS_PORT=${httpsPort}`,
      `NETWORK_SUBNET=${subnet}.0/24`,
      `NETWORK_DYNAMIC_RANGE=${subnet}.128/25`,
      `CADDY_ADDRESS=${subnet}.10`,
      `POSTGRES_PASSWORD=${password}`,
      'APP_ENV=staging',
      `DATABASE_URL=postgres://shipshape:${password}@postgres:5432/shipshape`,
      'REDIS_URL=redis://redis:6379',
      'REDIS_PREFIX=shipshape-rollout',
      'SESSION_SECRET=rollout-test-session-secret-0123456789-abcdefghijklmnop',
      `TRUST_PROXY=${subnet}.10`,
      'S3_ENDPOINT=http://rustfs:9000',
      'S3_BUCKET=shipshape',
      'S3_ACCESS_KEY_ID=rustfs-rollout',
      'S3_SECRET_ACCESS_KEY=rustfs-rollout-secret-0123456789',
      'S3_FORCE_PATH_STYLE=true',
      'S3_CHECKSUM=when_required',
      '',
    ].join('\n'),
  );
}

/** Runs a deploy script, its lines indented under ours; rejects when it exits non-zero. */
function deploy(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { cwd: root, env: deployEnv });
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) console.log(`    | ${line}`);
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${args[0]} exited ${code}`)),
    );
  });
}

async function expectVersion(base: string, version: string): Promise<void> {
  const response = await fetch(`${base}/api/version`, { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { commit?: string };
  if (body.commit !== version) {
    throw new Error(`/api/version says ${JSON.stringify(body)}, expected commit ${version}`);
  }
  log(`/api/version says ${version}`);
}

interface LoadResult {
  seconds: number;
  requests: number;
  posts: number;
  failed: number;
  unexpected: number;
  versions: Record<string, number>;
  problems: string[];
}

/**
 * Keeps four keep-alive clients asking GET /api/auth/session and /api/version, and one client
 * registering a new account (POST) every 200 ms, from a second before `action` until two
 * seconds after it. A POST is never retried by Caddy once it reached an API, so it shows
 * whether a request was cut during the drain.
 */
async function underLoad(base: string, action: () => Promise<void>): Promise<LoadResult> {
  const result: LoadResult = {
    seconds: 0,
    requests: 0,
    posts: 0,
    failed: 0,
    unexpected: 0,
    versions: {},
    problems: [],
  };
  let running = true;
  const request = async (path: string, init: RequestInit, expected: number) => {
    result.requests += 1;
    const at = ((Date.now() - started) / 1000).toFixed(1);
    try {
      const response = await fetch(`${base}${path}`, {
        ...init,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      if (response.status !== expected) {
        result.unexpected += 1;
        result.problems.push(
          `+${at}s ${init.method ?? 'GET'} ${path}: ${response.status} ${text.slice(0, 120)}`,
        );
      } else if (path === '/api/version') {
        const commit = (JSON.parse(text) as { commit: string }).commit;
        result.versions[commit] = (result.versions[commit] ?? 0) + 1;
      }
    } catch (error) {
      result.failed += 1;
      const cause = (error as Error & { cause?: Error }).cause?.message ?? '';
      result.problems.push(
        `+${at}s ${init.method ?? 'GET'} ${path}: ${(error as Error).message} ${cause}`,
      );
    }
  };
  const reader = async () => {
    while (running) {
      await request('/api/auth/session', {}, 200);
      await request('/api/version', {}, 200);
    }
  };
  const writer = async () => {
    for (let n = 0; running; n += 1) {
      result.posts += 1;
      await request(
        '/api/auth/register',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: base },
          body: JSON.stringify({
            email: `rollout-${Date.now()}-${n}@example.com`,
            password: 'correct horse battery staple',
          }),
        },
        201,
      );
      await sleep(200);
    }
  };
  const clients = [reader(), reader(), reader(), reader(), writer()];
  const begin = Date.now();
  await sleep(1000);
  try {
    await action();
  } finally {
    await sleep(2000);
    running = false;
    await Promise.all(clients);
  }
  result.seconds = (Date.now() - begin) / 1000;
  log(
    `load: ${result.requests} requests, ${result.failed} failed, ${result.unexpected} unexpected status`,
  );
  return result;
}

function tearDown(): void {
  if (!existsSync(envFile)) return;
  log(`removing the compose project ${project} and its volumes`);
  const [command = 'docker-compose', ...prefix] = compose;
  spawnSync(
    command,
    [
      ...prefix,
      '--project-name',
      project,
      '--env-file',
      envFile,
      '-f',
      'docker-compose.prod.yml',
      ...(deployEnv.SHIPSHAPE_COMPOSE_FILES ? ['-f', deployEnv.SHIPSHAPE_COMPOSE_FILES] : []),
      '--profile',
      's3',
      'down',
      '-v',
      '--remove-orphans',
      '--timeout',
      '5',
    ],
    { cwd: root, stdio: 'inherit' },
  );
  rmSync(scratch, { recursive: true, force: true });
}
