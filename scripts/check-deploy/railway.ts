// .railway/railway.ts, checked offline: its program is run here the way the Railway CLI runs it,
// for staging and for production, and what it describes is held to Shipshape's rules. Importing
// it also puts it under `pnpm typecheck`, against the `railway` SDK's own types.
import { createRailwayContext, type ProjectDefinition, type ResourceNode } from 'railway/iac';
import { envVariableNames, loadConfig } from '@shipshape/config';
import railwayProgram, { imageSource } from '../../.railway/railway';
import type { CheckResult } from './result';
import { requiredOutsideLocal } from './required-variables';

const digest = `sha256:${'a'.repeat(64)}`;
const release = {
  API_IMAGE: `ghcr.io/your-org/shipshape-api@${digest}`,
  WORKER_IMAGE: `ghcr.io/your-org/shipshape-worker@${digest}`,
  WEB_IMAGE: `ghcr.io/your-org/shipshape-web@${digest}`,
};
const webVariables = ['PORT', 'DOMAIN', 'API_UPSTREAMS', 'WEB_ROOT', 'CADDY_TRUSTED_PROXIES'];
const platformVariables = ['RAILWAY_DEPLOYMENT_DRAINING_SECONDS'];

/** The project the program describes for one environment, with process.env as given. */
async function describeFor(environment: string, given: Record<string, string>) {
  // The caller's own DEPLOY_ENV or *_IMAGE must not leak into the run: empty counts as unset.
  const env = { DEPLOY_ENV: '', API_IMAGE: '', WORKER_IMAGE: '', WEB_IMAGE: '', ...given };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await railwayProgram(createRailwayContext({ environment }), (name, definition) => ({
      name,
      ...definition,
    }));
  } finally {
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) Reflect.deleteProperty(process.env, key);
      else process.env[key] = saved[key];
    }
  }
}

function resourcesOf(definition: ProjectDefinition): ResourceNode[] {
  return (definition.resources ?? []).flat();
}

/** A literal variable's value, or undefined for references and missing variables. */
function literal(node: ResourceNode | undefined, name: string): string | undefined {
  if (!node || !('variables' in node)) return undefined;
  const value = node.variables?.[name];
  return value?.type === 'literal' ? (value.value ?? undefined) : undefined;
}

function rulesFor(environment: string, definition: ProjectDefinition, withImages: boolean) {
  const problems: string[] = [];
  const expect = (ok: boolean, message: string) => {
    if (!ok) problems.push(`${environment}${withImages ? ' (release)' : ''}: ${message}`);
  };
  const resources = resourcesOf(definition);
  const byName = (name: string) => resources.find((resource) => resource.name === name);
  const [api, worker, web] = [byName('api'), byName('worker'), byName('web')];
  const engines = resources.flatMap((r) => (r.type === 'database' ? [r.engine] : []));
  expect(engines.includes('postgres') && engines.includes('redis'), 'Postgres and Redis');

  for (const [role, node] of [
    ['api', api],
    ['worker', worker],
    ['web', web],
  ] as const) {
    if (node?.type !== 'service') {
      expect(false, `a service named ${role}`);
      continue;
    }
    const image = release[`${role.toUpperCase()}_IMAGE` as keyof typeof release];
    expect(
      withImages ? node.source?.image === image : node.source === undefined,
      withImages
        ? `${role} runs ${image}`
        : `${role} has no source without ${role.toUpperCase()}_IMAGE (keeps the running image)`,
    );
    const names = Object.keys(node.variables ?? {});
    const known = role === 'web' ? webVariables : [...envVariableNames, ...platformVariables];
    for (const name of names)
      expect(known.includes(name), `${role}: ${name} is not a variable it reads`);
    const needed = role === 'web' ? ['DOMAIN', 'API_UPSTREAMS'] : requiredOutsideLocal();
    for (const name of needed) expect(names.includes(name), `${role}: ${name} is missing`);
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

export async function checkRailway(): Promise<CheckResult[]> {
  const problems: string[] = [];
  for (const environment of ['staging', 'production']) {
    for (const withImages of [false, true]) {
      try {
        const definition = await describeFor(environment, withImages ? release : {});
        problems.push(...rulesFor(environment, definition, withImages));
      } catch (error) {
        problems.push(`${environment}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  // What must be refused: a tag instead of a digest, a token of another environment than the
  // deploy meant, and an environment with no APP_ENV.
  const tagged = { API_IMAGE: 'ghcr.io/your-org/shipshape-api:latest' };
  if (!throws(() => imageSource('api', tagged)))
    problems.push('API_IMAGE pinned by tag was accepted');
  if (!(await rejects(describeFor('production', { DEPLOY_ENV: 'staging' }))))
    problems.push('a production plan was accepted with DEPLOY_ENV=staging');
  if (!(await rejects(describeFor('pr-42', {}))))
    problems.push('an environment other than staging or production was accepted');
  return [
    { name: '.railway/railway.ts: staging and production, with and without a release', problems },
  ];
}

function throws(run: () => unknown): boolean {
  try {
    run();
    return false;
  } catch {
    return true;
  }
}

async function rejects(promise: Promise<unknown>): Promise<boolean> {
  try {
    await promise;
    return false;
  } catch {
    return true;
  }
}
