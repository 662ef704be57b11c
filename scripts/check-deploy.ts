// `pnpm check:deploy`: validates the deployment files offline, without a container engine.
// One line per check; exits 1 if any check failed, after running all of them, so one run
// shows every problem. The tools are Debian's docker-compose (v1, what the container engine
// here has), caddy 2.6, shellcheck, and dockerfile-utils from node_modules.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { checkComposeSchema } from './check-deploy/compose-schema';
import { checkDocs } from './check-deploy/docs';
import { checkHetzner } from './check-deploy/hetzner';
import { checkImages } from './check-deploy/images';
import { checkKubernetes } from './check-deploy/k8s';
import { checkRailway } from './check-deploy/railway';
import { checkRender } from './check-deploy/render';
import type { CheckResult } from './check-deploy/result';
import { checkTags } from './check-deploy/tags';
import { checkWorkflowCommands } from './check-deploy/workflow-commands';
import { checkWorkflows } from './check-deploy/workflows';
import { requiredOutsideLocal } from './check-deploy/required-variables';

const root = join(import.meta.dirname, '..');
const envFiles = ['deploy/env/production.env.example', 'deploy/env/staging.env.example'];
const scratch = mkdtempSync(join(tmpdir(), 'check-deploy-'));
let failures = 0;

// The tools see only PATH and HOME: a DOMAIN or IMAGE_TAG exported in the caller's shell would
// otherwise fill in for one missing from the files under test (compose and Caddy both prefer it).
const cleanEnv = { PATH: process.env.PATH, HOME: process.env.HOME };

function report(name: string, problems: string[]): void {
  if (problems.length === 0) {
    console.log(`ok    ${name}`);
    return;
  }
  failures += 1;
  console.log(`FAIL  ${name}`);
  for (const line of problems) console.log(`      ${line}`);
}

/** Runs a command in the repository; its output becomes the problem list when it fails. */
function run(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...cleanEnv, ...env },
  });
  if (result.error) {
    report(name, [`${command}: ${result.error.message}`]);
    return '';
  }
  report(name, result.status === 0 ? [] : `${result.stdout}${result.stderr}`.trim().split('\n'));
  return result.status === 0 ? result.stdout : '';
}

// 1. Compose files. The prod file requires its variables (${VAR:?}), so it is checked once per
// environment's example env file. Each example names its filled-in copy as APP_ENV_FILE, which
// does not exist here: the environment hands compose the example itself instead (a variable in
// the environment wins over the same one in --env-file).
run('docker-compose config: docker-compose.yml', 'docker-compose', [
  '-f',
  'docker-compose.yml',
  'config',
  '-q',
]);
const resolved = envFiles.map((envFile) => ({
  envFile,
  yaml: run(
    `docker-compose config: docker-compose.prod.yml --env-file ${envFile}`,
    'docker-compose',
    ['-f', 'docker-compose.prod.yml', '--env-file', envFile, 'config'],
    { APP_ENV_FILE: envFile },
  ),
}));

// 2. Caddyfile, with the environment the web image gives it (the defaults in the file) and
// Caddy's storage in a scratch directory instead of the home directory.
run(
  'caddy validate: Caddyfile',
  'caddy',
  ['validate', '--config', 'Caddyfile', '--adapter', 'caddyfile'],
  { XDG_DATA_HOME: join(scratch, 'data'), XDG_CONFIG_HOME: join(scratch, 'config') },
);

// Once more with the bucket route on (compose's S3_UPSTREAM) and a provider's origin in the
// page's connect-src, as Render and Railway set it: the defaults above leave both out.
run(
  'caddy validate: Caddyfile with S3_UPSTREAM and CSP_CONNECT_SRC',
  'caddy',
  ['validate', '--config', 'Caddyfile', '--adapter', 'caddyfile'],
  {
    XDG_DATA_HOME: join(scratch, 'data'),
    XDG_CONFIG_HOME: join(scratch, 'config'),
    S3_UPSTREAM: 'rustfs:9000',
    S3_BUCKET: 'shipshape',
    CSP_CONNECT_SRC: "'self' https://example.r2.cloudflarestorage.com",
  },
);

// The front Caddy a VPS runs before its environments (deploy/vps/edge/, ADR 024).
run(
  'caddy validate: deploy/vps/edge/Caddyfile',
  'caddy',
  ['validate', '--config', 'deploy/vps/edge/Caddyfile', '--adapter', 'caddyfile'],
  { XDG_DATA_HOME: join(scratch, 'data'), XDG_CONFIG_HOME: join(scratch, 'config') },
);
run('docker-compose config: deploy/vps/edge/compose.yml', 'docker-compose', [
  '-f',
  'deploy/vps/edge/compose.yml',
  'config',
  '-q',
]);

// 3. Dockerfile. dockerfile-utils exits 0 when it finds only warnings; any output fails here.
const lint = spawnSync('pnpm', ['exec', 'dockerfile-utils', 'lint', 'Dockerfile'], {
  cwd: root,
  encoding: 'utf8',
});
const lintOutput = `${lint.stdout}${lint.stderr}`.trim();
report(
  'dockerfile-utils lint: Dockerfile',
  lint.status === 0 && lintOutput === '' ? [] : lintOutput.split('\n'),
);

// 4. Shell scripts: CI's entry point and every *.sh outside dependencies.
const shellScripts = [
  '.ci/run',
  ...readdirSync(root, { recursive: true, encoding: 'utf8' }).filter(
    (path) => path.endsWith('.sh') && !/(^|\/)(node_modules|\.git)\//.test(path),
  ),
];
run(`shellcheck: ${shellScripts.join(' ')}`, 'shellcheck', shellScripts);

// 5. Cross-check: the variables a deployment cannot start without (required-variables.ts) are in
// .env.example and reach every service that needs them.
const required = requiredOutsideLocal();
report(
  `.env.example lists ${required.join(' ')}`,
  missing(required, parseEnvFile(readFileSync(join(root, '.env.example'), 'utf8'))).map(
    (name) => `.env.example: ${name} missing`,
  ),
);
for (const { envFile, yaml } of resolved) {
  if (!yaml) continue; // its config check already failed
  // `config` merges each service's env_file into its environment.
  const services = (parse(yaml) as { services: Record<string, { environment?: object }> }).services;
  const problems = ['api', 'worker', 'migrate'].flatMap((service) =>
    missing(required, Object.keys(services[service]?.environment ?? {})).map(
      (name) => `${service}: ${name} missing`,
    ),
  );
  problems.push(
    ...missing(['DOMAIN', 'API_UPSTREAMS'], Object.keys(services.web?.environment ?? {})).map(
      (name) => `web: ${name} missing`,
    ),
  );
  report(`compose variables with ${envFile}: api, worker, migrate, web`, problems);
  report(`browsers reach the bucket with ${envFile}`, bucketProblems(services));
}

// 6. The checks that live in scripts/check-deploy/, one module per kind of file.
const moduleChecks: (() => CheckResult[] | Promise<CheckResult[]>)[] = [
  checkComposeSchema,
  checkRender,
  checkRailway,
  checkWorkflows,
  checkHetzner,
  checkKubernetes,
  // The contracts with the world outside this repository: images pinned to tags their upstream
  // publishes, programs the runner has, tags CI pushes, and docs that name what the scripts use.
  checkImages,
  checkWorkflowCommands,
  checkTags,
  checkDocs,
];
for (const check of moduleChecks) {
  for (const { name, problems } of await check()) report(name, problems);
}

rmSync(scratch, { recursive: true, force: true });
console.log(failures === 0 ? 'check:deploy: all passed' : `check:deploy: ${failures} failed`);
process.exitCode = failures === 0 ? 0 : 1;

// Names set (NAME=) or documented as commented-out examples (# NAME=), as .env.example does
// for the variables that local development leaves unset.
function parseEnvFile(text: string): string[] {
  return text
    .split('\n')
    .map((line) => /^\s*#?\s*([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

type Environment = Record<string, string | null | undefined>;

/**
 * Browsers PUT upload parts to S3_PUBLIC_ENDPOINT. RustFS on the compose network (rustfs:9000) is
 * out of their reach: there, the address is the site itself (PUBLIC_URL), and the site's Caddy
 * must pass the app's bucket on to RustFS (docs/deploy/storage.md).
 */
function bucketProblems(services: Record<string, { environment?: object }>): string[] {
  const api = (services.api?.environment ?? {}) as Environment;
  const web = (services.web?.environment ?? {}) as Environment;
  if (!api.S3_ENDPOINT?.startsWith('http://rustfs:')) return [];
  const problems: string[] = [];
  if (api.S3_PUBLIC_ENDPOINT !== api.PUBLIC_URL) {
    problems.push(
      `api: S3_PUBLIC_ENDPOINT is ${String(api.S3_PUBLIC_ENDPOINT)}, not PUBLIC_URL (${String(api.PUBLIC_URL)}): browsers cannot reach ${api.S3_ENDPOINT}`,
    );
  }
  if (web.S3_UPSTREAM !== new URL(api.S3_ENDPOINT).host) {
    problems.push(`web: S3_UPSTREAM is ${String(web.S3_UPSTREAM)}, not the app's RustFS`);
  }
  if (web.S3_BUCKET !== api.S3_BUCKET) {
    problems.push(
      `web: S3_BUCKET ${String(web.S3_BUCKET)} differs from the app's ${String(api.S3_BUCKET)}`,
    );
  }
  return problems;
}

function missing(wanted: string[], present: string[]): string[] {
  return wanted.filter((name) => !present.includes(name));
}
