// render.yaml, checked offline. Render publishes its Blueprint schema without a license, so no
// copy of it lives here: FIELDS below is our own summary of the field reference at
// https://render.com/docs/blueprint-spec (read on 2026-11-23), limited to what a Blueprint of
// image-backed services, Postgres, Key Value and environment groups uses. A field Render adds
// later is reported as unknown until it is added here, which is the point: a typo is too.
// Then come Shipshape's own rules: which services exist, what they run, and the variables.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { envVariableNames } from '@shipshape/config';
import type { CheckResult } from './result';
import { requiredOutsideLocal } from './required-variables';
import { secretVariables } from './secret-variables';

export const blueprintDocs = 'https://render.com/docs/blueprint-spec';

/** What a value may be: a small schema language, enough for the fields below. */
type Spec =
  | { kind: 'string'; oneOf?: readonly string[] }
  | { kind: 'number'; min?: number; max?: number }
  | { kind: 'boolean' }
  | { kind: 'list'; of: Spec }
  | { kind: 'object'; fields: Fields };
type Fields = Record<string, { spec: Spec; required?: boolean }>;

const str = (oneOf?: readonly string[]): Spec => ({ kind: 'string', ...(oneOf && { oneOf }) });
const num = (min?: number, max?: number): Spec => ({ kind: 'number', min, max });
const bool: Spec = { kind: 'boolean' };
const list = (of: Spec): Spec => ({ kind: 'list', of });
const obj = (fields: Fields): Spec => ({ kind: 'object', fields });
const opt = (spec: Spec) => ({ spec });
const req = (spec: Spec) => ({ spec, required: true });

const serviceTypes = ['web', 'pserv', 'worker', 'cron', 'keyvalue', 'redis'] as const;
const runtimes = ['node', 'python', 'go', 'ruby', 'rust', 'elixir', 'docker', 'image', 'static'];
const regions = ['oregon', 'ohio', 'virginia', 'frankfurt', 'singapore'];
const ipAllowList = list(obj({ source: req(str()), description: opt(str()) }));

// One entry of envVars: `fromGroup` alone, or `key` with exactly one source (checked below).
const envVar = obj({
  key: opt(str()),
  value: opt(str()),
  generateValue: opt(bool),
  sync: opt(bool),
  fromGroup: opt(str()),
  fromDatabase: opt(
    obj({
      name: req(str()),
      property: req(
        str([
          'connectionString',
          'connectionPoolString',
          'host',
          'port',
          'user',
          'password',
          'database',
        ]),
      ),
    }),
  ),
  fromService: opt(
    obj({
      name: req(str()),
      type: req(str(serviceTypes)),
      property: opt(str(['host', 'port', 'hostport', 'connectionString'])),
      envVarKey: opt(str()),
    }),
  ),
});

/** Fields of one service entry, per Render's reference; which apply to which type is checked after. */
const serviceFields: Fields = {
  type: req(str(serviceTypes)),
  name: req(str()),
  runtime: opt(str(runtimes)),
  plan: opt(str()),
  region: opt(str(regions)),
  repo: opt(str()),
  branch: opt(str()),
  rootDir: opt(str()),
  buildCommand: opt(str()),
  startCommand: opt(str()),
  preDeployCommand: opt(str()),
  dockerCommand: opt(str()),
  dockerfilePath: opt(str()),
  dockerContext: opt(str()),
  image: opt(
    obj({
      url: req(str()),
      creds: opt(obj({ fromRegistryCreds: req(obj({ name: req(str()) })) })),
    }),
  ),
  registryCredential: opt(obj({ fromRegistryCreds: req(obj({ name: req(str()) })) })),
  healthCheckPath: opt(str()),
  numInstances: opt(num(1)),
  scaling: opt(
    obj({
      minInstances: req(num(1)),
      maxInstances: req(num(1)),
      targetCPUPercent: opt(num(1, 90)),
      targetMemoryPercent: opt(num(1, 90)),
    }),
  ),
  maxShutdownDelaySeconds: opt(num(1, 300)),
  autoDeployTrigger: opt(str(['commit', 'checksPass', 'off'])),
  domains: opt(list(str())),
  envVars: opt(list(envVar)),
  disk: opt(obj({ name: req(str()), mountPath: req(str()), sizeGB: opt(num(1)) })),
  schedule: opt(str()),
  maxmemoryPolicy: opt(
    str([
      'allkeys-lru',
      'volatile-lru',
      'allkeys-lfu',
      'volatile-lfu',
      'allkeys-random',
      'volatile-random',
      'volatile-ttl',
      'noeviction',
    ]),
  ),
  ipAllowList: opt(ipAllowList),
  previewPlan: opt(str()),
};

const databaseFields: Fields = {
  name: req(str()),
  plan: opt(str()),
  region: opt(str(regions)),
  postgresMajorVersion: opt(str()),
  databaseName: opt(str()),
  user: opt(str()),
  diskSizeGB: opt(num(1)),
  ipAllowList: opt(ipAllowList),
  highAvailability: opt(obj({ enabled: req(bool) })),
  previewPlan: opt(str()),
};

const envVarGroupFields: Fields = { name: req(str()), envVars: req(list(envVar)) };

const resources: Fields = {
  services: opt(list(obj(serviceFields))),
  databases: opt(list(obj(databaseFields))),
  envVarGroups: opt(list(obj(envVarGroupFields))),
};

export const FIELDS: Fields = {
  ...resources,
  previews: opt(obj({ generation: opt(str(['off', 'manual', 'automatic'])) })),
  projects: opt(
    list(
      obj({
        name: req(str()),
        envVarGroups: opt(list(obj(envVarGroupFields))),
        environments: req(list(obj({ name: req(str()), ...resources }))),
      }),
    ),
  ),
};

/** Fields that only some service types take (Render's reference, per type). */
const onlyFor: Record<string, readonly string[]> = {
  healthCheckPath: ['web'],
  domains: ['web'],
  schedule: ['cron'],
  maxmemoryPolicy: ['keyvalue', 'redis'],
  ipAllowList: ['keyvalue', 'redis'],
  previewPlan: ['keyvalue', 'redis'],
  image: ['web', 'pserv', 'worker', 'cron'],
  preDeployCommand: ['web', 'pserv', 'worker'],
};

type Doc = Record<string, unknown>;
const isObject = (value: unknown): value is Doc =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Type, allowed values and unknown or missing fields of a value against its Spec. */
function validate(value: unknown, spec: Spec, path: string, problems: string[]): void {
  switch (spec.kind) {
    case 'string':
      if (typeof value !== 'string')
        problems.push(`${path}: expected a string, got ${describe(value)}`);
      else if (spec.oneOf && !spec.oneOf.includes(value))
        problems.push(`${path}: "${value}" is not one of ${spec.oneOf.join(', ')}`);
      return;
    case 'number':
      if (typeof value !== 'number')
        problems.push(`${path}: expected a number, got ${describe(value)}`);
      else if (
        (spec.min !== undefined && value < spec.min) ||
        (spec.max !== undefined && value > spec.max)
      )
        problems.push(`${path}: ${value} is outside ${spec.min ?? '-∞'}..${spec.max ?? '∞'}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean')
        problems.push(`${path}: expected true or false, got ${describe(value)}`);
      return;
    case 'list':
      if (!Array.isArray(value)) problems.push(`${path}: expected a list, got ${describe(value)}`);
      else
        value.forEach((item, i) => {
          validate(item, spec.of, `${path}[${i}]`, problems);
        });
      return;
    case 'object':
      if (!isObject(value)) {
        problems.push(`${path}: expected a mapping, got ${describe(value)}`);
        return;
      }
      for (const [key, field] of Object.entries(spec.fields)) {
        if (field.required && !(key in value)) problems.push(`${path}: ${key} is required`);
      }
      for (const [key, child] of Object.entries(value)) {
        const field = spec.fields[key];
        if (!field)
          problems.push(
            `${path}.${key}: not a field of Render's Blueprint reference (${blueprintDocs})`,
          );
        else validate(child, field.spec, `${path}.${key}`, problems);
      }
  }
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  return Array.isArray(value)
    ? 'a list'
    : typeof value === 'object'
      ? 'a mapping'
      : `${typeof value} ${JSON.stringify(value)}`;
}

interface Environment {
  path: string;
  services: Doc[];
  databases: Doc[];
  envVarGroups: Doc[];
}

const arrayOf = (value: unknown): Doc[] => (Array.isArray(value) ? value.filter(isObject) : []);

/** Every set of resources, with where it sits: the root, or one project environment. */
function environmentsOf(doc: Doc): Environment[] {
  const found: Environment[] = [];
  const add = (path: string, at: Doc) => {
    found.push({
      path,
      services: arrayOf(at.services),
      databases: arrayOf(at.databases),
      envVarGroups: arrayOf(at.envVarGroups),
    });
  };
  if (doc.services || doc.databases || doc.envVarGroups) add('(root)', doc);
  arrayOf(doc.projects).forEach((project, p) => {
    arrayOf(project.environments).forEach((env, e) => {
      add(`projects[${p}].environments[${e}] (${String(env.name)})`, env);
    });
  });
  return found;
}

/** What Render's reference says beyond types: per-type fields, runtimes, env var forms. */
function renderRules(env: Environment): string[] {
  const problems: string[] = [];
  for (const service of env.services) {
    const at = `${env.path} service ${String(service.name)}`;
    const type = String(service.type);
    for (const [field, types] of Object.entries(onlyFor)) {
      if (field in service && !types.includes(type))
        problems.push(`${at}: ${field} does not apply to type ${type}`);
    }
    const isDatastore = type === 'keyvalue' || type === 'redis';
    if (!isDatastore && !service.runtime)
      problems.push(`${at}: runtime is required for type ${type}`);
    if (isDatastore && !service.ipAllowList)
      problems.push(`${at}: ipAllowList is required for Key Value`);
    if (service.runtime === 'image' && !service.image)
      problems.push(`${at}: runtime image needs image.url`);
    if (service.image && service.runtime !== 'image')
      problems.push(`${at}: image is only read with runtime: image`);
    problems.push(...envVarForms(arrayOf(service.envVars), at, false));
  }
  for (const group of env.envVarGroups) {
    problems.push(
      ...envVarForms(arrayOf(group.envVars), `${env.path} envVarGroup ${String(group.name)}`, true),
    );
  }
  return problems;
}

function envVarForms(vars: Doc[], at: string, inGroup: boolean): string[] {
  const problems: string[] = [];
  const sources = ['value', 'generateValue', 'sync', 'fromDatabase', 'fromService'];
  for (const v of vars) {
    if ('fromGroup' in v) {
      if (inGroup || Object.keys(v).length > 1)
        problems.push(`${at}: fromGroup stands alone, and not inside a group`);
      continue;
    }
    const given = sources.filter((source) => source in v);
    if (!v.key || given.length !== 1)
      problems.push(`${at}: ${String(v.key)} needs a key and exactly one of ${sources.join(', ')}`);
    if (inGroup && given.some((source) => source !== 'value' && source !== 'generateValue'))
      problems.push(`${at}: ${String(v.key)}: a group takes only value or generateValue`);
    if (v.sync === true) problems.push(`${at}: ${String(v.key)}: sync takes only false`);
  }
  return problems;
}

// The environment's tag, which deploy.yml moves only after the doctor passed: a Blueprint sync
// then redeploys what already runs. Releases themselves go out by digest (render.sh).
const imagePattern = /^ghcr\.io\/[a-z0-9-]+\/shipshape-(api|worker|web):([a-z]+)$/;
const webVariables = [
  'PORT',
  'DOMAIN',
  'API_UPSTREAMS',
  'WEB_ROOT',
  'CADDY_ADMIN',
  'CADDY_HTTP_PORT',
  'CADDY_HTTPS_PORT',
  'CADDY_TRUSTED_PROXIES',
  'S3_UPSTREAM',
  'S3_BUCKET',
  'CSP_CONNECT_SRC',
];

/** Shipshape's rules: three image services, migrations before the API, the config's variables. */
function shipshapeRules(env: Environment, required: string[]): string[] {
  const problems: string[] = [];
  const byRole = (role: string) =>
    env.services.find((s) => String(s.name).startsWith(`shipshape-${role}`));
  const groupVars = (service: Doc) =>
    arrayOf(service.envVars).flatMap((v) =>
      typeof v.fromGroup === 'string'
        ? arrayOf(env.envVarGroups.find((g) => g.name === v.fromGroup)?.envVars).map((g) =>
            String(g.key),
          )
        : [String(v.key)],
    );
  const expect = (ok: boolean, message: string) => {
    if (!ok) problems.push(`${env.path}: ${message}`);
  };

  const [api, worker, web] = [byRole('api'), byRole('worker'), byRole('web')];
  const envName = env.path.replace(/^.*\((.*)\)$/, '$1');
  const valueOf = (service: Doc | undefined, key: string) =>
    arrayOf(service?.envVars).find((v) => v.key === key);
  expect(
    api?.type === 'pserv',
    'the api is a private service (type: pserv): a web service would answer on its own onrender.com address, around Caddy',
  );
  expect(
    valueOf(api, 'PORT')?.value !== undefined && valueOf(api, 'PORT')?.value !== '10000',
    'the api sets PORT, and not 10000 (reserved for public traffic, unusable on the private network)',
  );
  const upstream = valueOf(web, 'API_UPSTREAMS')?.fromService;
  expect(
    isObject(upstream) && upstream.name === api?.name && upstream.property === 'hostport',
    "web's API_UPSTREAMS is the api's hostport (fromService)",
  );
  expect(
    api?.preDeployCommand === 'node dist/migrate.js',
    'the api runs `node dist/migrate.js` as its preDeployCommand',
  );
  expect(worker?.type === 'worker', 'the worker is a background worker (type: worker)');
  expect(
    web?.type === 'web' && web.healthCheckPath !== undefined,
    'web is a web service with a healthCheckPath',
  );
  expect(env.databases.length === 1, 'one Postgres database');
  const kv = env.services.filter((s) => s.type === 'keyvalue');
  expect(
    kv.length === 1 && kv[0]?.maxmemoryPolicy === 'noeviction',
    'one Key Value with maxmemoryPolicy noeviction (BullMQ)',
  );

  for (const [role, service] of [
    ['api', api],
    ['worker', worker],
    ['web', web],
  ] as const) {
    if (!service) continue;
    const image = isObject(service.image) ? service.image : {};
    const url = String(image.url);
    const match = imagePattern.exec(url);
    expect(
      match?.[1] === role && match[2] === envName,
      `${String(service.name)}: image.url ${url} is ghcr.io/<owner>/shipshape-${role}:${envName} (the tag deploy.yml moves after the doctor)`,
    );
    expect(
      isObject(image.creds),
      `${String(service.name)}: image.creds names the GHCR registry credential`,
    );
    const names = groupVars(service);
    const known = role === 'web' ? webVariables : envVariableNames;
    for (const name of names)
      expect(known.includes(name), `${String(service.name)}: ${name} is not a variable it reads`);
    const needed = role === 'web' ? ['DOMAIN', 'API_UPSTREAMS'] : required;
    for (const name of needed)
      expect(names.includes(name), `${String(service.name)}: ${name} is missing`);
  }
  const refs = env.services.flatMap((s) => arrayOf(s.envVars));
  for (const ref of refs) {
    const target = isObject(ref.fromDatabase)
      ? ref.fromDatabase
      : isObject(ref.fromService)
        ? ref.fromService
        : undefined;
    if (target) {
      const inEnv = [...env.services, ...env.databases].some((r) => r.name === target.name);
      expect(
        inEnv,
        `${String(ref.key)} refers to ${String(target.name)}, which is not in this environment`,
      );
    }
    if (typeof ref.fromGroup === 'string')
      expect(
        env.envVarGroups.some((g) => g.name === ref.fromGroup),
        `group ${ref.fromGroup} is not in this environment`,
      );
    if (ref.key === 'TRUST_PROXY')
      expect(ref.value !== 'true', 'TRUST_PROXY=true lets any client choose its address');
  }
  // A credential written in the file would be in git: Render asks for it or generates it.
  const groupRefs = env.envVarGroups.flatMap((g) => arrayOf(g.envVars));
  for (const ref of [...refs, ...groupRefs]) {
    if (secretVariables.includes(String(ref.key)))
      expect(
        ref.value === undefined,
        `${String(ref.key)} holds a credential: sync: false, generateValue or a reference, never a value`,
      );
  }
  return problems;
}

/** Checks the text of a Blueprint; the tests call this with broken copies of render.yaml. */
export function checkRenderBlueprint(text: string): CheckResult[] {
  const doc: unknown = parse(text);
  const fieldProblems: string[] = [];
  validate(doc, obj(FIELDS), 'render.yaml', fieldProblems);
  const envs = isObject(doc) ? environmentsOf(doc) : [];
  const roles = envs.map((env) => env.path.replace(/^.*\((.*)\)$/, '$1'));
  const required = requiredOutsideLocal();
  const ours = envs.flatMap((env) => shipshapeRules(env, required));
  if (!['staging', 'production'].every((name) => roles.includes(name)))
    ours.push(
      `render.yaml: environments staging and production under projects (found: ${roles.join(', ') || 'none'})`,
    );
  return [
    {
      name: `render.yaml against Render's field reference (${blueprintDocs})`,
      problems: [...fieldProblems, ...envs.flatMap(renderRules)],
    },
    {
      name: 'render.yaml: api, worker, web, Postgres, Key Value and variables in staging and production',
      problems: ours,
    },
  ];
}

export async function checkRender(): Promise<CheckResult[]> {
  const text = await readFile(join(import.meta.dirname, '..', '..', 'render.yaml'), 'utf8');
  return checkRenderBlueprint(text);
}
