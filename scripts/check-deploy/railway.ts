// .railway/railway.ts, checked offline: its default export is called the way the Railway CLI
// calls it (railwayapp/cli v5.43.1, src/iac/eval.rs: with an empty object, everything else from
// the environment of the command), for staging and production, and what it describes is held to
// Shipshape's rules. Importing it also puts it under `pnpm typecheck`, against the `railway`
// SDK's own types. A second check holds the CLI version to one number wherever it is named.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProjectDefinition, ResourceNode } from 'railway/iac';
import { parse } from 'yaml';
import { loadConfig } from '@shipshape/config';
import shipshape from '../../.railway/railway';
import { judge, type CheckResult } from '../check-result';
import { root, secretVariables, variableProblems } from './variables';

/** What the CLI evaluates: the file's default export, called with `{}`. */
export type RailwayProgram = (given: object) => ProjectDefinition | Promise<ProjectDefinition>;

const digest = `sha256:${'a'.repeat(64)}`;
const release = {
  API_IMAGE: `ghcr.io/your-org/shipshape-api@${digest}`,
  WORKER_IMAGE: `ghcr.io/your-org/shipshape-worker@${digest}`,
  WEB_IMAGE: `ghcr.io/your-org/shipshape-web@${digest}`,
};
// The one variable of Railway's own that the file sets: how long a replaced deployment drains.
const platformVariables = ['RAILWAY_DEPLOYMENT_DRAINING_SECONDS'];

/**
 * The project the program describes when the CLI runs it with process.env as given (empty
 * counts as unset) and `given` as its argument.
 */
async function describe(
  program: RailwayProgram,
  env: Record<string, string>,
  given: object = {},
): Promise<ProjectDefinition> {
  const names = ['DEPLOY_ENV', 'API_IMAGE', 'WORKER_IMAGE', 'WEB_IMAGE'];
  const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  for (const name of names) process.env[name] = env[name] ?? '';
  try {
    return await program(given);
  } finally {
    for (const name of names) {
      if (saved[name] === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = saved[name];
    }
  }
}

/** A literal variable's value, or undefined for references and missing variables. */
function literal(node: ResourceNode | undefined, name: string): string | undefined {
  if (!node || !('variables' in node)) return undefined;
  const value = node.variables?.[name];
  return value?.type === 'literal' ? (value.value ?? undefined) : undefined;
}

function rulesFor(environment: string, definition: ProjectDefinition) {
  const problems: string[] = [];
  const expect = (ok: boolean, message: string) => {
    if (!ok) problems.push(`${environment}: ${message}`);
  };
  const resources = (definition.resources ?? []).flat();
  const byName = (name: string) => resources.find((resource) => resource.name === name);
  const [api, worker, web] = [byName('api'), byName('worker'), byName('web')];
  const engines = resources.flatMap((r) => (r.type === 'database' ? [r.engine] : []));
  expect(engines.includes('postgres') && engines.includes('redis'), 'Postgres and Redis');

  // The CLI compares a missing source as null and clears the service's image
  // (railwayapp/cli src/iac/change_set.rs, diff_top_level_field), whatever the service.
  for (const node of resources) {
    if (node.type === 'service') expect(node.source !== undefined, `${node.name} has a source`);
  }
  for (const [role, node] of [
    ['api', api],
    ['worker', worker],
    ['web', web],
  ] as const) {
    if (node?.type !== 'service') {
      expect(false, `a service named ${role}`);
      continue;
    }
    const variable = `${role.toUpperCase()}_IMAGE` as keyof typeof release;
    expect(node.source?.image === release[variable], `${role} runs the image in ${variable}`);
    const names = Object.keys(node.variables ?? {});
    problems.push(
      ...variableProblems(role, role, names, platformVariables).map((p) => `${environment}: ${p}`),
    );
    for (const name of names.filter((name) => secretVariables.includes(name)))
      expect(
        literal(node, name) === undefined,
        `${role}: ${name} holds a credential: reference a shared variable, never a literal`,
      );
    if (role !== 'web') {
      expect(literal(node, 'APP_ENV') === environment, `${role}: APP_ENV=${environment}`);
      const draining = Number(literal(node, 'RAILWAY_DEPLOYMENT_DRAINING_SECONDS'));
      const grace = loadConfig({}).shutdownGraceMs / 1000;
      expect(
        draining > grace,
        `${role}: RAILWAY_DEPLOYMENT_DRAINING_SECONDS above the ${grace} s drain`,
      );
    }
  }
  if (api?.type === 'service') {
    expect(
      api.deploy?.preDeployCommand?.[0] === 'node dist/migrate.js',
      'api migrates before deploy',
    );
    expect(Boolean(api.deploy?.healthcheckPath), 'api has a healthcheck path');
    expect(literal(api, 'TRUST_PROXY') !== 'true', 'TRUST_PROXY is never true');
  }
  if (web?.type === 'service') {
    expect(literal(web, 'DOMAIN') === `:${literal(web, 'PORT') ?? ''}`, 'web: DOMAIN is :PORT');
  }
  return problems;
}

/** Runs in the order given; the program touches process.env, so never two at once. */
async function refused(
  program: RailwayProgram,
  cases: [string, Record<string, string>, object?][],
) {
  const problems: string[] = [];
  for (const [what, env, given] of cases) {
    try {
      await describe(program, env, given);
      problems.push(`accepted ${what}`);
    } catch {
      // refused, as it should be
    }
  }
  return problems;
}

export async function checkRailway(program: RailwayProgram = shipshape): Promise<CheckResult[]> {
  const problems: string[] = [];
  for (const environment of ['staging', 'production']) {
    try {
      const definition = await describe(program, { DEPLOY_ENV: environment, ...release });
      problems.push(...rulesFor(environment, definition));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      problems.push(`${environment}: called as the CLI calls it, it throws: ${message}`);
    }
  }
  // What must stop a plan rather than describe something else.
  const staging = { DEPLOY_ENV: 'staging', ...release };
  problems.push(
    ...(await refused(program, [
      ['no DEPLOY_ENV', { ...release }],
      ['DEPLOY_ENV=pr-42', { ...release, DEPLOY_ENV: 'pr-42' }],
      ['no WORKER_IMAGE', { ...staging, WORKER_IMAGE: '' }],
      [
        'API_IMAGE pinned by tag',
        { ...staging, API_IMAGE: 'ghcr.io/your-org/shipshape-api:latest' },
      ],
      [
        'a runner naming production with DEPLOY_ENV=staging',
        staging,
        { environment: 'production' },
      ],
    ])),
  );
  return [
    judge(
      '.railway/railway.ts, called as the Railway CLI calls it: staging and production',
      problems,
    ),
    judge('Railway CLI: one version in deploy.yml, railway.sh and railway.md', cliPin()),
  ];
}

interface Step {
  name?: string;
  if?: string;
  env?: Record<string, string>;
}

/** The version deploy.yml installs is the one railway.sh expects and the docs name. */
function cliPin(): string[] {
  const read = (path: string) => readFileSync(join(root, path), 'utf8');
  const workflow = parse(read('.github/workflows/deploy.yml')) as {
    jobs: Record<string, { steps: Step[] }>;
  };
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
  const install = steps.findIndex((step) => step.env?.RAILWAY_CLI_VERSION !== undefined);
  const deploy = steps.findIndex((step) => step.name?.startsWith('Deploy with deploy/targets/'));
  const step = steps[install];
  if (!step) return ['deploy.yml: no step sets RAILWAY_CLI_VERSION (the Railway CLI install)'];
  const version = String(step.env?.RAILWAY_CLI_VERSION);
  const problems: string[] = [];
  if (!/^\d+\.\d+\.\d+$/.test(version)) problems.push(`deploy.yml: ${version} is not a version`);
  if (!/^[0-9a-f]{64}$/.test(String(step.env?.RAILWAY_CLI_SHA256)))
    problems.push('deploy.yml: RAILWAY_CLI_SHA256 is not a SHA-256');
  if (step.if !== "vars.DEPLOY_TARGET == 'railway'")
    problems.push("deploy.yml: the install runs if vars.DEPLOY_TARGET == 'railway'");
  if (deploy !== -1 && install > deploy)
    problems.push('deploy.yml: the CLI is installed after the deploy');
  const script = /^cli_version=(\S+)$/m.exec(read('deploy/targets/railway.sh'))?.[1];
  if (script !== version)
    problems.push(`railway.sh expects ${script}, deploy.yml installs ${version}`);
  const docs = read('docs/deploy/railway.md');
  const named = new Set(docs.match(/\b5\.\d+\.\d+\b/g));
  named.delete('5.42.1'); // the SDK's minimum, which the docs quote as such
  if (!named.has(version) || named.size !== 1)
    problems.push(
      `railway.md names the CLI ${[...named].join(', ')}, deploy.yml installs ${version}`,
    );
  return problems;
}
