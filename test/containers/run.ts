// `pnpm test:containers`: builds the three images, then brings up docker-compose.prod.yml (as a
// VPS runs it, HTTPS from Caddy's local CA) and docker-compose.yml (as a laptop runs it) for real,
// and smoke-tests each through Caddy: health, register, sign in, an upload as the page sends it
// (its parts PUT to the bucket on the site's own origin, which Caddy passes to RustFS), its
// thumbnail, export, the first page's weight, and the accounts' mail read from Mailpit (verify the address, reset the
// password, sign in with the new one). Everything it starts is removed at the end, volumes included.
// Where no container engine answers, it says so and skips (exit 0): the rest of the tests run
// without one. Works with docker-compose v1 and a Docker-compatible engine (Docker or podman).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@shipshape/lifecycle';
import type { PageWeight } from '@shipshape/stack';
import { composeProject, engineVersion, imageSizeMb, progress, run } from './compose';
import { mailRoundTrip, type MailStack } from './mail';
import { smoke, waitUntilReady } from './smoke';

const root = join(import.meta.dirname, '../..');
process.chdir(root);

const engine = await engineVersion();
if (!engine) {
  console.log(
    'Skipping the container tests: no container engine answers' +
      (process.env.DOCKER_HOST ? ` at DOCKER_HOST=${process.env.DOCKER_HOST}` : '') +
      '. Start Docker (or podman with its Docker-compatible socket) and run pnpm test:containers again.',
  );
  process.exit(0);
}
progress(
  `container engine ${engine}; ${(await run('docker-compose', ['version', '--short'])).trim()}`,
);

const commit = (await run('git', ['rev-parse', '--short', 'HEAD'])).trim();
const tag = 'test';
const images = {
  api: `localhost/shipshape-api:${tag}`,
  worker: `localhost/shipshape-worker:${tag}`,
  web: `localhost/shipshape-web:${tag}`,
};

const results: { stack: string; readySeconds: number; smoke: PageWeight }[] = [];
let failed = false;

await buildImages();
const sizes = await reportSizes();
for (const stack of [productionStack, localStack]) {
  try {
    await stack();
  } catch (error) {
    failed = true;
    console.error(`\n${(error as Error).message}\n`);
  }
}

console.log('\nImage sizes (as the engine reports them):');
for (const [name, mb] of Object.entries(sizes)) console.log(`  ${name.padEnd(22)} ${mb} MB`);
console.log('Stacks (from `up` to /readyz answering 200 through Caddy):');
for (const { stack, readySeconds, smoke } of results) {
  console.log(
    `  ${stack.padEnd(22)} ready in ${readySeconds.toFixed(0)} s; first page ${smoke.firstPageRequests} requests, ${smoke.firstPageBytes} bytes`,
  );
}
console.log(failed ? 'test:containers: FAILED' : 'test:containers: all passed');
process.exitCode = failed ? 1 : 0;

async function buildImages() {
  const args = [
    `--build-arg=GIT_COMMIT=${commit}`,
    `--build-arg=BUILD_TIME=${new Date().toISOString()}`,
  ];
  for (const [target, image] of Object.entries(images)) {
    progress(`building the ${target} image (${image}); the first build takes minutes`);
    const build = () =>
      run('docker', ['build', '--target', target, '--tag', image, ...args, '.'], { stream: true });
    // Once more after a failure: an engine's API service can drop a long build's connection
    // (podman's did, "unexpected EOF"), and the layers built so far are cached.
    await build().catch((error: unknown) => {
      progress(`the ${target} build failed; trying once more:\n${String(error).slice(-500)}`);
      return build();
    });
  }
}

async function reportSizes() {
  const sizes: Record<string, number> = {
    'node:24-bookworm-slim': await imageSizeMb('node:24-bookworm-slim'),
  };
  for (const [target, image] of Object.entries(images))
    sizes[`shipshape-${target}`] = await imageSizeMb(image);
  progress(
    `images built: ${Object.entries(sizes)
      .map(([n, mb]) => `${n} ${mb} MB`)
      .join(', ')}`,
  );
  return sizes;
}

/**
 * docker-compose.prod.yml with its S3 and mail profiles, secrets made here, HTTPS from Caddy's
 * local CA.
 */
async function productionStack() {
  const dir = await mkdtemp(join(tmpdir(), 'shipshape-containers-'));
  const [httpPort, httpsPort, mailPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const secret = (bytes: number) => randomBytes(bytes).toString('hex');
  const postgresPassword = secret(16);
  const s3 = { key: `shipshape-${secret(4)}`, secret: secret(24), bucket: 'shipshape' };
  // A subnet of its own, so this never meets a real deployment's network on the same host.
  const subnet = '172.30.0';
  const appEnv = join(dir, 'app.env');
  await writeEnvFile(appEnv, {
    APP_ENV: 'production',
    DATABASE_URL: `postgres://shipshape:${postgresPassword}@postgres:5432/shipshape`,
    REDIS_URL: 'redis://redis:6379',
    REDIS_PREFIX: 'shipshape',
    SESSION_SECRET: randomBytes(48).toString('base64'),
    TRUST_PROXY: `${subnet}.10`,
    S3_ENDPOINT: 'http://rustfs:9000',
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: s3.key,
    S3_SECRET_ACCESS_KEY: s3.secret,
    S3_FORCE_PATH_STYLE: 'true',
    S3_CHECKSUM: 'when_required',
    // Browsers send upload parts to the site, where Caddy passes /shipshape/* to RustFS: the
    // address this test opens (https://localhost and its own port), which the API signs for.
    S3_PUBLIC_ENDPOINT: `https://localhost:${httpsPort}`,
    // Mailpit of the mail profile; PUBLIC_URL is in stack.env, which the compose file reads.
    SMTP_URL: 'smtp://mailpit:1025',
    MAIL_FROM: 'Shipshape <no-reply@shipshape.test>',
  });
  const stackEnv = join(dir, 'stack.env');
  await writeEnvFile(stackEnv, {
    APP_ENV_FILE: appEnv,
    IMAGE_REGISTRY: 'localhost',
    IMAGE_TAG: tag,
    DOMAIN: 'localhost',
    // Links say https://localhost, the port being this test's own (see below).
    PUBLIC_URL: 'https://localhost',
    HTTP_PORT: String(httpPort),
    HTTPS_PORT: String(httpsPort),
    NETWORK_SUBNET: `${subnet}.0/24`,
    NETWORK_DYNAMIC_RANGE: `${subnet}.128/25`,
    CADDY_ADDRESS: `${subnet}.10`,
    POSTGRES_PASSWORD: postgresPassword,
    S3_ACCESS_KEY_ID: s3.key,
    S3_SECRET_ACCESS_KEY: s3.secret,
    S3_BUCKET: s3.bucket,
    MAILPIT_UI_PORT: `127.0.0.1:${mailPort}`,
  });
  const project = composeProject(
    'shipshape-test-prod',
    ['docker-compose.prod.yml'],
    ['--env-file', stackEnv, '--profile', 's3', '--profile', 'mail'],
  );
  await exercise('docker-compose.prod.yml', project, dir, async () => {
    const url = `https://localhost:${httpsPort}`;
    // Caddy makes its local CA on first start; the client trusts exactly that CA.
    const ca = await readCaddyCa(project);
    // DOMAIN=localhost: links say https://localhost, the port being this test's own.
    return { url, ca, mail: `http://127.0.0.1:${mailPort}`, publicUrl: 'https://localhost' };
  });
}

/** docker-compose.yml as a newcomer runs it, on free ports instead of 80, 1025 and 8025. */
async function localStack() {
  const [httpPort, smtpPort, mailPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const project = composeProject('shipshape-test-local', ['docker-compose.yml'], [], {
    HTTP_PORT: String(httpPort),
    MAILPIT_SMTP_PORT: String(smtpPort),
    MAILPIT_UI_PORT: String(mailPort),
  });
  const url = `http://localhost:${httpPort}`;
  await exercise('docker-compose.yml', project, undefined, () =>
    Promise.resolve({ url, mail: `http://127.0.0.1:${mailPort}`, publicUrl: url }),
  );
}

async function exercise(
  name: string,
  project: ReturnType<typeof composeProject>,
  scratch: string | undefined,
  locate: () => Promise<MailStack>,
) {
  try {
    // A run that was stopped half-way may have left the project behind.
    await project.down();
    progress(`${name}: up (builds what it builds, pulls nothing)`);
    const started = performance.now();
    await project.compose(['up', '--detach', '--build'], { stream: true });
    const stack = await locate();
    const waited = await waitUntilReady(stack, 240_000);
    const readySeconds = (performance.now() - started) / 1000;
    progress(
      `${name}: ready through Caddy at ${stack.url} (${waited.toFixed(0)} s after up returned)`,
    );
    const result = await smoke(stack, (line) => progress(`${name}: ${line}`));
    await mailRoundTrip(stack, (line) => progress(`${name}: ${line}`));
    progress(
      `${name}: smoke passed; first page ${result.firstPageBytes} bytes in ${result.firstPageRequests} requests`,
    );
    if (result.firstPageBytes >= 50_000)
      throw new Error(`${name}: the first page weighs ${result.firstPageBytes} bytes, over 50 KB`);
    results.push({ stack: name, readySeconds, smoke: result });
  } catch (error) {
    console.error(`\n${name}: the last log lines of each container:\n${await project.logs()}`);
    throw new Error(`${name}: ${(error as Error).message}`, { cause: error });
  } finally {
    progress(`${name}: down, volumes removed`);
    await project.down().catch((error: unknown) => console.error(String(error)));
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

async function readCaddyCa(project: ReturnType<typeof composeProject>): Promise<string> {
  const path = '/data/caddy/pki/authorities/local/root.crt';
  for (let attempt = 0; attempt < 120; attempt += 1) {
    const pem = await project.compose(['exec', '-T', 'web', 'cat', path]).catch(() => '');
    if (pem.includes('BEGIN CERTIFICATE')) return pem;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`Caddy's local CA (${path}) did not appear in the web container`);
}

async function writeEnvFile(path: string, values: Record<string, string>) {
  const text = Object.entries(values)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
  // Secrets: readable by this user only, as on a server.
  await writeFile(path, text, { mode: 0o600 });
}
