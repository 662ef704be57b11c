// Deploys to a VPS the way CI does, through deploy/targets/vps.sh and SSH, under load:
//   pnpm test:deploy
// The VPS is a container of its own (test/deploy/vps-standin.ts): sshd, a deploy account, the
// docker CLI and docker-compose, and the machine's container engine behind its docker socket.
// Staging and production share it behind one front Caddy (deploy/vps/edge/), as
// docs/guide/5-cd.md describes, on the host names staging.localhost and localhost.
//   1. An env file copied from the example and not filled in is refused.
//   2. v1 to staging, then v1 to production: a first deploy of each.
//   3. v2 to production while clients keep reading and registering through the front Caddy over
//      HTTPS. v2 changes all three images: the api and worker report another commit, and the web
//      image serves another /version.txt. Staging still answers v1.
//   4. `pnpm run doctor` against production over HTTPS, trusting the front Caddy's local CA.
//   5. Back to v1 under the same load, as CI's rollback does it: vps.sh with the previous images.
// Every failed request or unexpected status is counted; any at all makes the exit code 1.
// Without an engine at DOCKER_HOST it says so and exits 0. The images are those `pnpm
// test:containers` builds from this tree (localhost/shipshape-{api,worker,web}:test), built here
// when missing. vps.sh sends the files of the commit checked out (HEAD), not uncommitted changes.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { freePort } from '@shipshape/lifecycle';
import { get, summary, underLoad, type LoadResult, type Site } from './https-load';
import { buildStandin, docker, startStandin, type Standin } from './vps-standin';

const root = join(import.meta.dirname, '../..');
const targets = ['api', 'worker', 'web'] as const;
type Images = Record<(typeof targets)[number], string>;
// The commit each version's api and worker report; vps.sh itself always sends HEAD's files.
const commits = { v1: '1111111', v2: '2222222' } as const;
type Version = keyof typeof commits;
const environments = { staging: 'staging.localhost', production: 'localhost' } as const;
type Environment = keyof typeof environments;
const projects = ['shipshape-staging', 'shipshape-production', 'shipshape-edge'];

const scratch = mkdtempSync(join(tmpdir(), 'vps-deploy-'));
const started = Date.now();
const log = (line: string) =>
  console.log(`[vps-deploy +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);

if (!engineAnswers()) {
  console.log(
    `test:deploy: skipped, no container engine answers at ${process.env.DOCKER_HOST ?? 'the default Docker socket'} ` +
      '(run /work/shared/tools/container-engine up and export DOCKER_HOST, or start Docker).',
  );
  process.exit(0);
}

// CI reaches the server with OpenSSH; so does this test (ssh, ssh-keygen, ssh-keyscan).
if (spawnSync('ssh-keyscan', ['-h'], { stdio: 'ignore' }).error) {
  console.error(
    'test:deploy: ssh-keyscan not found; install OpenSSH (apt-get install openssh-client)',
  );
  process.exit(1);
}

let vps: Standin | undefined;
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
  const commit = git(['rev-parse', 'HEAD']);
  if (git(['status', '--porcelain', '--', 'docker-compose.prod.yml', 'deploy/vps']) !== '') {
    log('note: docker-compose.prod.yml or deploy/vps has uncommitted changes; vps.sh sends HEAD');
  }
  if (leftovers()) {
    log(`removing what an interrupted earlier run left (${projects.join(', ')})`);
    tearDown(false);
  }
  const images = buildImages();

  log('the VPS stand-in: building its image (cached after the first run) and starting it');
  buildStandin(scratch);
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const server = startStandin(
    scratch,
    isPodman() ? { SHIPSHAPE_COMPOSE_FILES: '/etc/shipshape/podman.yml' } : {},
  );
  vps = server;
  log(
    `VPS at ${server.host}:${server.port}, host key pinned: ${server.knownHosts.split(' ').slice(1).join(' ').slice(0, 40)}…`,
  );
  const deploy = (environment: Environment, version: Version) =>
    vpsDeploy(server, environment, images[version], commit);

  log('step 1: an unedited copy of the example env file is refused');
  writeEnvFile(server, 'staging', { example: true }, httpPort, httpsPort);
  const refused = await deploy('staging', 'v1').then(
    () => '',
    (error: unknown) => String(error),
  );
  if (!refused.includes("still holds the example's placeholders")) {
    throw new Error(`vps.sh did not refuse the example env file for its placeholders: ${refused}`);
  }
  log('refused, as it should be');

  log('step 2: v1 to staging, then v1 to production (the first deploy of each)');
  for (const environment of ['staging', 'production'] as const) {
    writeEnvFile(server, environment, { example: false }, httpPort, httpsPort);
    await deploy(environment, 'v1');
  }
  const ca = edgeCa();
  const site = (environment: Environment): Site => ({
    origin: `https://${environments[environment]}:${httpsPort}`,
    ca,
    address: '127.0.0.1',
  });
  await expectVersion(site('staging'), 'v1');
  await expectVersion(site('production'), 'v1');

  log('step 3: v2 to production under load');
  const toV2 = await underLoad(site('production'), () => deploy('production', 'v2'));
  report('deploy v2', toV2);
  await expectVersion(site('production'), 'v2');
  await expectVersion(site('staging'), 'v1');

  log('step 4: the doctor, against production over HTTPS');
  await untilReady(site('production'));
  const caFile = join(scratch, 'edge-ca.pem');
  writeFileSync(caFile, ca);
  const doctor = spawnSync(
    'pnpm',
    [
      '--silent',
      'run',
      'doctor',
      site('production').origin,
      '--http-port',
      String(httpPort),
    ].concat(['--ca', caFile, '--expect-commit', commits.v2]),
    { cwd: root, stdio: 'inherit' },
  );
  if (doctor.status !== 0) {
    console.log(`the production api's last log lines:\n${logsOf('shipshape-production', 'api')}`);
    throw new Error(`the doctor exited ${doctor.status}`);
  }

  log('step 5: production back to v1 under load, as CI rolls back (vps.sh, the previous images)');
  const toV1 = await underLoad(site('production'), () => deploy('production', 'v1'));
  report('rollback v1', toV1);
  await expectVersion(site('production'), 'v1');

  console.log('');
  const results: [string, LoadResult][] = [
    ['deploy v2', toV2],
    ['rollback v1', toV1],
  ];
  for (const [name, result] of results) console.log(summary(name, result));
  const bad = results.reduce((sum, [, r]) => sum + r.failed + r.unexpected, 0);
  // None by default. .ci/run allows a few while a rollout flake on two cores is open (see there).
  const allowed = Number(process.env.DEPLOY_BAD_REQUESTS_ALLOWED ?? '0');
  const verdict =
    bad === 0
      ? 'passed'
      : bad <= allowed
        ? `passed with ${bad} bad requests (at most ${allowed} allowed)`
        : `${bad} bad requests`;
  console.log(`test:deploy: ${verdict} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return bad <= allowed ? 0 : 1;
}

function report(name: string, result: LoadResult): void {
  log(summary(name, result));
  for (const problem of result.problems.slice(0, 10)) console.log(`    ${problem}`);
}

function logsOf(project: string, service: string): string {
  const filter = (label: string) => ['--filter', `label=com.docker.compose.${label}`];
  const ids = docker([
    'ps',
    '-q',
    ...filter(`project=${project}`),
    ...filter(`service=${service}`),
  ]);
  return ids
    .split('\n')
    .filter(Boolean)
    .map((id) => spawnSync('docker', ['logs', '--tail', '20', id], { encoding: 'utf8' }))
    .map((result) => `${result.stdout}${result.stderr}`)
    .join('\n');
}

function engineAnswers(): boolean {
  const result = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return result.status === 0 && result.stdout.trim() !== '';
}

function isPodman(): boolean {
  return docker(['version', '--format', '{{json .Server.Components}}']).includes('Podman');
}

function git(args: string[]): string {
  return spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout.trim();
}

/**
 * v1 and v2 of each image, by digest as CI gives them: the image `pnpm test:containers` built
 * from this tree, with the version's commit (api, worker) and a /version.txt (web) on top. Not
 * builds of the Dockerfile with GIT_COMMIT as a build argument: podman 4.3 (buildah) reuses a
 * cached ENV GIT_COMMIT layer when only a build argument changed.
 */
function buildImages(): Record<Version, Images> {
  const build = (tag: string, args: string[], cwd: string) => {
    const result = spawnSync('docker', ['build', '-q', '-t', tag, ...args], {
      cwd,
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`docker build of ${tag} failed:\n${result.stderr}`);
  };
  // The engine's own digest of the image (podman gives every image one; Docker, those it pushed
  // or pulled), in the form CI passes: repository@sha256:…
  const byDigest = (tag: string, repository: string) => {
    const digests = JSON.parse(
      docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', tag]),
    ) as string[];
    const reference = digests.find((digest) => digest.startsWith(`${repository}@sha256:`));
    if (!reference)
      throw new Error(`${tag} has no digest in the engine (RepoDigests: ${digests.join(' ')})`);
    return reference;
  };
  const images = { v1: {}, v2: {} } as Record<Version, Images>;
  for (const target of targets) {
    const repository = `localhost/shipshape-${target}`;
    const base = `${repository}:test`;
    if (spawnSync('docker', ['image', 'inspect', base], { stdio: 'ignore' }).status === 0) {
      log(`image ${base}: present, built from this tree by pnpm test:containers`);
    } else {
      log(`image ${base}: building (pnpm test:containers has not run)`);
      build(base, ['--target', target, '.'], root);
    }
    for (const version of ['v1', 'v2'] as const) {
      const context = join(scratch, `${version}-${target}`);
      mkdirSync(context);
      writeFileSync(join(context, 'version.txt'), `${version}\n`);
      const changes =
        target === 'web'
          ? 'COPY version.txt /srv/version.txt\n'
          : `ENV GIT_COMMIT=${commits[version]}\n`;
      writeFileSync(
        join(context, 'Dockerfile'),
        `FROM ${base}\n${changes}LABEL org.opencontainers.image.revision=${commits[version]}\n`,
      );
      build(`${repository}:${version}`, ['.'], context);
      images[version][target] = byDigest(`${repository}:${version}`, repository);
    }
    log(`image ${repository}: v1 and v2 by digest`);
  }
  return images;
}

/**
 * The server's env file, as a team writes it from deploy/env/<env>.env.example: the example
 * itself (step 1), or filled in with this test's secrets, host names, subnets of its own (apart
 * from the examples' and other tests') and the front Caddy's ports on the loopback.
 */
function writeEnvFile(
  vps: Standin,
  environment: Environment,
  { example }: { example: boolean },
  httpPort: number,
  httpsPort: number,
) {
  const dir = `/srv/shipshape/${environment}/deploy/env`;
  const file = `${dir}/${environment}.env`;
  const subnet = environment === 'production' ? '172.29.78' : '172.29.79';
  const edge = '172.29.80';
  const password = `${environment}-test-password-0123456789`;
  const text = example
    ? undefined
    : [
        'IMAGE_REGISTRY=localhost',
        'IMAGE_TAG=unused',
        `DOMAIN=${environments[environment]}`,
        // The front Caddy's port is this test's own; deploy.sh checks only the host name.
        `PUBLIC_URL=https://${environments[environment]}:${httpsPort}`,
        `NETWORK_SUBNET=${subnet}.0/24`,
        `NETWORK_DYNAMIC_RANGE=${subnet}.128/25`,
        `EDGE_NETWORK_SUBNET=${edge}.0/24`,
        `EDGE_NETWORK_DYNAMIC_RANGE=${edge}.128/25`,
        `EDGE_ADDRESS=${edge}.2`,
        `EDGE_HTTP_PORT=127.0.0.1:${httpPort}`,
        `EDGE_HTTPS_PORT=127.0.0.1:${httpsPort}`,
        `POSTGRES_PASSWORD=${password}`,
        // Mailpit catches the mail, as on a server without a mail provider yet; its inbox on a
        // port the engine picks, so the two environments (and a laptop's 8025) never compete.
        'COMPOSE_PROFILES=s3,mail',
        'MAILPIT_UI_PORT=127.0.0.1:0',
        `APP_ENV=${environment}`,
        `DATABASE_URL=postgres://shipshape:${password}@postgres:5432/shipshape`,
        'REDIS_URL=redis://redis:6379',
        `REDIS_PREFIX=shipshape-${environment}`,
        `SESSION_SECRET=${environment}-test-session-secret-0123456789-abcdefghijklmnop`,
        `TRUST_PROXY=${subnet}.0/24,${edge}.2`,
        // The load signs up an account every 200 ms from one address: the shipped budget of
        // sign-ups per client would answer 429 after the first few. This test is about the deploy.
        'AUTH_RATE_LIMIT=100000',
        'S3_ENDPOINT=http://rustfs:9000',
        'S3_BUCKET=shipshape',
        `S3_ACCESS_KEY_ID=rustfs-${environment}`,
        'S3_SECRET_ACCESS_KEY=rustfs-test-secret-0123456789',
        'S3_FORCE_PATH_STYLE=true',
        'S3_CHECKSUM=when_required',
        'SMTP_URL=smtp://mailpit:1025',
        `MAIL_FROM=Shipshape ${environment} <no-reply@${environments[environment]}>`,
        '',
      ].join('\n');
  vps.exec(`install -d -o deploy -g deploy ${dir}`);
  vps.exec(
    `cat > ${file} && chown deploy: ${file} && chmod 600 ${file}`,
    text ?? exampleFile(environment),
  );
}

function exampleFile(environment: Environment): string {
  return readFileSync(join(root, `deploy/env/${environment}.env.example`), 'utf8');
}

/** deploy/targets/vps.sh with the variables deploy.yml passes; its lines indented under ours. */
function vpsDeploy(vps: Standin, environment: Environment, images: Images, commit: string) {
  log(
    `vps.sh: ${environment} ← api ${images.api.slice(-12)}, worker ${images.worker.slice(-12)}, web ${images.web.slice(-12)}`,
  );
  const env = {
    ...process.env,
    DEPLOY_ENV: environment,
    API_IMAGE: images.api,
    WORKER_IMAGE: images.worker,
    WEB_IMAGE: images.web,
    GIT_COMMIT: commit,
    VPS_HOST: vps.host,
    VPS_PORT: String(vps.port),
    VPS_USER: vps.user,
    VPS_SSH_KEY: vps.key,
    VPS_KNOWN_HOSTS: vps.knownHosts,
  };
  return new Promise<void>((resolve, reject) => {
    const child = spawn('bash', ['deploy/targets/vps.sh'], { cwd: root, env });
    let last = '';
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line) console.log(`    | ${line}`);
        if (line) last = line;
      }
    };
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`vps.sh exited ${code}: ${last}`)),
    );
  });
}

/** The root certificate of the front Caddy's local CA, which signs localhost's certificates. */
function edgeCa(): string {
  const edge = docker([
    'ps',
    '-q',
    '--filter',
    'label=com.docker.compose.project=shipshape-edge',
  ]).trim();
  return docker(['exec', edge, 'cat', '/data/caddy/pki/authorities/local/root.crt']);
}

/**
 * Right after the load stops, the first /readyz of the new API has been seen to miss its 2 s
 * budget for storage on this busy two-core machine (and pass at once when asked again): the
 * doctor checks a settled site, as an operator would look at it.
 */
async function untilReady(site: Site): Promise<void> {
  const since = Date.now();
  for (;;) {
    const answer = await get(site, '/readyz').catch(() => ({ status: 0, body: '' }));
    if (answer.status === 200) break;
    if (Date.now() - since > 60_000)
      throw new Error(`/readyz still answers ${answer.status} ${answer.body}`);
    await sleep(1000);
  }
  log(`/readyz answers 200 (after ${((Date.now() - since) / 1000).toFixed(0)} s)`);
}

async function expectVersion(site: Site, version: Version): Promise<void> {
  const api = await get(site, '/api/version');
  const web = await get(site, '/version.txt');
  const commit = (JSON.parse(api.body) as { commit?: string }).commit;
  if (commit !== commits[version] || web.body.trim() !== version) {
    throw new Error(
      `${site.origin} serves api ${commit} and web ${web.body.trim()}, expected ${version}`,
    );
  }
  log(`${site.origin}: api and web are ${version}`);
}

function leftovers(): boolean {
  return projects.some(
    (project) =>
      docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`]).trim() !==
      '',
  );
}

/**
 * Removes the stand-in, and the compose projects it started on the engine, by their labels.
 * KEEP_VPS=1 leaves everything running for a look (`docker exec -it -u deploy shipshape-test-vps bash`).
 */
function tearDown(withScratch = true): void {
  if (withScratch && process.env.KEEP_VPS === '1') {
    log('KEEP_VPS=1: leaving the VPS stand-in and its projects running');
    return;
  }
  if (withScratch) log('removing the VPS stand-in, the three compose projects and their volumes');
  vps?.remove();
  const remove = (kind: 'container' | 'volume' | 'network', ids: string) => {
    const list = ids.split('\n').filter(Boolean);
    if (list.length > 0)
      spawnSync('docker', [kind, 'rm', ...(kind === 'container' ? ['-f'] : []), ...list], {
        stdio: 'ignore',
      });
  };
  for (const project of projects) {
    const filter = ['--filter', `label=com.docker.compose.project=${project}`];
    remove('container', spawnSync('docker', ['ps', '-aq', ...filter], { encoding: 'utf8' }).stdout);
  }
  for (const project of projects) {
    const filter = ['--filter', `label=com.docker.compose.project=${project}`];
    remove(
      'volume',
      spawnSync('docker', ['volume', 'ls', '-q', ...filter], { encoding: 'utf8' }).stdout,
    );
    remove(
      'network',
      spawnSync('docker', ['network', 'ls', '-q', ...filter], { encoding: 'utf8' }).stdout,
    );
  }
  remove('volume', 'shipshape-edge-files');
  remove('network', 'shipshape-edge');
  if (withScratch) rmSync(scratch, { recursive: true, force: true });
}
