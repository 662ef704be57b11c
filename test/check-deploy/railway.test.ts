// Railway, as far as it can be tried without an account. The check (scripts/check-deploy/railway.ts)
// must catch a file the CLI cannot run; deploy/targets/railway.sh runs against a stand-in `railway`
// that evaluates .railway/railway.ts as the CLI does (railwayapp/cli v5.43.1, src/iac/eval.rs: the
// default export called with {}, in a Node process that inherits the command's environment),
// keeps the images each service runs in a file, and refuses to start under `env`, as the SDK's
// `$_ --version` check does. A stand-in `curl` answers /api/version with the api image's digest.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import shipshape from '../../.railway/railway';
import { checkRailway, type RailwayProgram } from '../../scripts/check-deploy/railway';
import { problemsOf as failures } from '../../scripts/check-result';

const root = fileURLToPath(new URL('../../', import.meta.url));

const problemsOf = async (program: RailwayProgram) =>
  failures((await checkRailway(program)).slice(0, 1));

describe('the .railway/railway.ts check', () => {
  it('passes the committed file', async () => {
    expect(await problemsOf(shipshape)).toEqual([]);
  });

  it('reports a file that reads the environment from its argument, which the CLI leaves empty', async () => {
    const program: RailwayProgram = (given) => {
      const { environment } = given as { environment?: string };
      if (!environment) throw new Error('ctx.environment is undefined');
      return shipshape(given);
    };
    expect(await problemsOf(program)).toContainEqual(
      expect.stringMatching(/staging: called as the CLI calls it, it throws: ctx\.environment/),
    );
  });

  it('reports a service declared without a source, which an apply would clear', async () => {
    const program: RailwayProgram = (given) => {
      const project = shipshape(given);
      const worker = project.resources?.flat().find((node) => node.name === 'worker');
      if (worker?.type === 'service') delete worker.source;
      return project;
    };
    expect(await problemsOf(program)).toContainEqual('production: worker has a source');
  });

  it('reports a credential written into the file instead of a shared variable', async () => {
    const program: RailwayProgram = (given) => {
      const project = shipshape(given);
      const worker = project.resources?.flat().find((node) => node.name === 'worker');
      if (worker?.type === 'service' && worker.variables) {
        worker.variables.SMTP_URL = { type: 'literal', value: 'smtp://user:password@example.com' };
      }
      return project;
    };
    expect(await problemsOf(program)).toContainEqual(
      'staging: worker: SMTP_URL holds a credential: reference a shared variable, never a literal',
    );
  });

  it('reports a file that guesses the environment instead of stopping', async () => {
    const program: RailwayProgram = (given) => {
      process.env.DEPLOY_ENV ||= 'staging';
      return shipshape(given);
    };
    expect(await problemsOf(program)).toContainEqual('accepted no DEPLOY_ENV');
  });
});

const digest = (hex: string) => `sha256:${hex.repeat(64)}`;
const imagesOf = (hex: string) => ({
  API_IMAGE: `ghcr.io/acme/shipshape-api@${digest(hex)}`,
  WORKER_IMAGE: `ghcr.io/acme/shipshape-worker@${digest(hex)}`,
  WEB_IMAGE: `ghcr.io/acme/shipshape-web@${digest(hex)}`,
});

// The stand-in CLI. `config plan|apply --json` prints what the real one prints for the fields
// railway.sh reads (src/commands/config/runner.rs, RunnerResponse), and nothing for an apply
// with nothing to change.
const fakeRailway = `#!/usr/bin/env node
const { execFileSync } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const [command, sub] = process.argv.slice(2);
if (command === '--version') {
  console.log('railway ' + (process.env.FAKE_CLI_VERSION || '5.43.1'));
  process.exit(0);
}
// What railway/iac does on import under the CLI: run $_ --version and want 5.42.1 or newer.
const version = execFileSync(process.env._ || 'railway', ['--version'], { encoding: 'utf8' });
if (!/\\b5\\.\\d+\\.\\d+\\b/.test(version)) {
  console.error('This version of railway/iac requires Railway CLI 5.42.1 or newer ($_ is ' + process.env._ + ')');
  process.exit(1);
}
const evaluate = 'const { pathToFileURL } = await import("node:url");' +
  'const mod = await import(pathToFileURL(process.argv[1]).href);' +
  'process.stdout.write(JSON.stringify(await mod.default({})));';
let desired;
try {
  desired = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', evaluate, '--',
    process.env.FAKE_FILE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
} catch {
  console.error('node failed to evaluate IaC file.');
  process.exit(1);
}
const state = JSON.parse(readFileSync(process.env.FAKE_STATE, 'utf8'));
const images = Object.fromEntries(desired.resources.filter((r) => r.type === 'service')
  .map((r) => [r.name, r.source && r.source.image]));
const changed = Object.keys(images).filter((name) => state.running[name] !== images[name]);
const currentGraph = { resources: Object.entries(state.running).map(([name, image]) =>
  ({ address: 'service.' + name, type: 'service', name, source: { type: 'image', image } })) };
const response = { ok: true, command: sub, currentEnvironment: { environmentName: state.environment },
  currentGraph, diff: changed.map((name) => '~ service ' + name).join('\\n'), diagnostics: [] };
if (sub === 'apply') {
  if (changed.length === 0) process.exit(0);
  state.applies.push(images);
  state.running = images;
  writeFileSync(process.env.FAKE_STATE, JSON.stringify(state));
  response.applyResult = { status: 'applied', changes: changed.map((name) =>
    ({ kind: 'resource.update', summary: 'Update service ' + name, status: 'applied' })) };
}
console.log(JSON.stringify(response));
`;

// The stand-in curl: /api/version names the first 40 hex digits of the api's digest.
const fakeCurl = `#!/usr/bin/env node
const { readFileSync } = require('node:fs');
const url = process.argv[process.argv.length - 1];
const api = JSON.parse(readFileSync(process.env.FAKE_STATE, 'utf8')).running.api || '';
if (url.endsWith('/api/version')) console.log(JSON.stringify({ commit: api.slice(-64, -24) }));
`;

describe('deploy/targets/railway.sh', () => {
  let dir: string;
  let stateFile: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'shipshape-railway-'));
    stateFile = join(dir, 'state.json');
    for (const [name, text] of [
      ['railway', fakeRailway],
      ['curl', fakeCurl],
    ] as const) {
      writeFileSync(join(dir, name), text);
      chmodSync(join(dir, name), 0o755);
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function deploy(running: Record<string, string>, environment = 'staging', extra = {}) {
    writeFileSync(stateFile, JSON.stringify({ environment, running, applies: [] }));
    const result = spawnSync(join(root, 'deploy/targets/railway.sh'), {
      encoding: 'utf8',
      env: {
        PATH: `${dir}:${process.env.PATH ?? ''}`,
        HOME: dir,
        FAKE_STATE: stateFile,
        FAKE_FILE: join(root, '.railway/railway.ts'),
        DEPLOY_ENV: 'staging',
        ...imagesOf('b'),
        GIT_COMMIT: 'b'.repeat(40),
        RAILWAY_TOKEN: 'a-project-token',
        RAILWAY_PUBLIC_URL: 'https://shipshape.example',
        ...extra,
      },
    });
    const { applies } = JSON.parse(readFileSync(stateFile, 'utf8')) as {
      applies: Record<string, string>[];
    };
    return { status: result.status, output: result.stdout + result.stderr, applies };
  }

  const running = (hex: string) => {
    const images = imagesOf(hex);
    return { api: images.API_IMAGE, worker: images.WORKER_IMAGE, web: images.WEB_IMAGE };
  };

  it('moves the api first, with the images worker and web run, then worker and web', () => {
    const { status, output, applies } = deploy(running('a'));
    expect(output).toContain('staging now runs bbbbbbbbbbbb');
    expect(status).toBe(0);
    expect(applies).toEqual([{ ...running('a'), api: running('b').api }, running('b')]);
  });

  it('deploys all three at once where nothing runs yet', () => {
    const { status, output, applies } = deploy({});
    expect(status).toBe(0);
    expect(applies).toEqual([running('b')]);
    expect(output).toContain('nothing to change');
  });

  it('applies nothing with a token of another environment', () => {
    const { status, output, applies } = deploy(running('a'), 'production');
    expect(status).not.toBe(0);
    expect(output).toContain('RAILWAY_TOKEN belongs to the production environment, not staging');
    expect(applies).toEqual([]);
  });

  it('applies nothing with another CLI version than the one deploy.yml installs', () => {
    const { status, output, applies } = deploy(running('a'), 'staging', {
      FAKE_CLI_VERSION: '5.44.0',
    });
    expect(status).not.toBe(0);
    expect(output).toContain('expects the railway CLI 5.43.1');
    expect(applies).toEqual([]);
  });

  it('has a stand-in CLI that fails under env, as the SDK does', () => {
    writeFileSync(stateFile, JSON.stringify({ environment: 'staging', running: {}, applies: [] }));
    const run = (command: string) =>
      spawnSync('bash', ['-c', command], {
        encoding: 'utf8',
        env: {
          PATH: `${dir}:${process.env.PATH ?? ''}`,
          FAKE_STATE: stateFile,
          FAKE_FILE: join(root, '.railway/railway.ts'),
          DEPLOY_ENV: 'staging',
          ...imagesOf('b'),
        },
      });
    expect(run('railway config plan --json').status).toBe(0);
    const underEnv = run('env railway config plan --json');
    expect(underEnv.status).not.toBe(0);
    expect(underEnv.stderr).toContain('requires Railway CLI 5.42.1');
  });
});
