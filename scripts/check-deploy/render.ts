// render.yaml, checked offline. Render publishes its Blueprint schema (render.com/schema/
// render.yaml.json, which SchemaStore's catalog points to) without a license and no npm package
// ships it, so `blueprint` below is our own zod summary of https://render.com/docs/blueprint-spec
// (read on 2026-11-23), limited to what a Blueprint of image-backed services, Postgres, Key
// Value and environment groups uses. A field Render adds later is refused until it is added
// here, which is the point: a typo is too. Then come Shipshape's own rules.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { judge, type CheckResult } from '../check-result';
import { root, secretVariables, variableProblems } from './variables';

const str = z.string();
const num = z.number().min(1);
const region = z.enum(['oregon', 'ohio', 'virginia', 'frankfurt', 'singapore']).optional();
const serviceType = z.enum(['web', 'pserv', 'worker', 'cron', 'keyvalue', 'redis']);
const ipAllowList = z.array(z.strictObject({ source: str, description: str.optional() }));
const registryCreds = z.strictObject({ fromRegistryCreds: z.strictObject({ name: str }) });

// One entry of envVars: `fromGroup` alone, or a key with exactly one source. A group takes only
// values and generated ones; sync takes only false (Render then asks for the value).
const groupVar = z.union([
  z.strictObject({ key: str, value: str }),
  z.strictObject({ key: str, generateValue: z.boolean() }),
]);
const envVar = z.union([
  groupVar,
  z.strictObject({ key: str, sync: z.literal(false) }),
  z.strictObject({ fromGroup: str }),
  z.strictObject({
    key: str,
    fromDatabase: z.strictObject({
      name: str,
      property: z
        .enum(['connectionString', 'connectionPoolString', 'host', 'port', 'user'])
        .or(z.enum(['password', 'database'])),
    }),
  }),
  z.strictObject({
    key: str,
    fromService: z.strictObject({
      name: str,
      type: serviceType,
      property: z.enum(['host', 'port', 'hostport', 'connectionString']).optional(),
      envVarKey: str.optional(),
    }),
  }),
]);

const common = { name: str, plan: str.optional(), region, envVars: z.array(envVar).optional() };
const runtime = z.enum(['node', 'python', 'go', 'ruby', 'rust', 'elixir', 'docker', 'image']);
// The fields of services that run code, all optional; each type takes a few more.
const appFields = z
  .object({
    ...{ repo: str, branch: str, rootDir: str, buildCommand: str, startCommand: str },
    ...{ dockerCommand: str, dockerfilePath: str, dockerContext: str },
    image: z.strictObject({ url: str, creds: registryCreds.optional() }),
    registryCredential: registryCreds,
    numInstances: num,
    maxShutdownDelaySeconds: num.max(300),
    autoDeployTrigger: z.enum(['commit', 'checksPass', 'off']),
    disk: z.strictObject({ name: str, mountPath: str, sizeGB: num.optional() }),
    scaling: z.strictObject({
      ...{ minInstances: num, maxInstances: num },
      ...{ targetCPUPercent: num.max(90).optional(), targetMemoryPercent: num.max(90).optional() },
    }),
  })
  .partial();
const appService = <E extends z.ZodRawShape>(shape: E) =>
  appFields.extend({ ...common, runtime, ...shape }).strict();
const keyValue = (type: 'keyvalue' | 'redis') =>
  z.strictObject({
    ...common,
    type: z.literal(type),
    ipAllowList,
    previewPlan: str.optional(),
    maxmemoryPolicy: z
      .enum(['allkeys-lru', 'volatile-lru', 'allkeys-lfu', 'volatile-lfu', 'allkeys-random'])
      .or(z.enum(['volatile-random', 'volatile-ttl', 'noeviction']))
      .optional(),
  });

const service = z.discriminatedUnion('type', [
  appService({
    type: z.literal('web'),
    ...{ preDeployCommand: str.optional(), healthCheckPath: str.optional() },
    ...{ domains: z.array(str).optional(), runtime: z.enum([...runtime.options, 'static']) },
  }),
  appService({ type: z.literal('pserv'), preDeployCommand: str.optional() }),
  appService({ type: z.literal('worker'), preDeployCommand: str.optional() }),
  appService({ type: z.literal('cron'), schedule: str.optional() }),
  keyValue('keyvalue'),
  keyValue('redis'),
]);

const database = z.strictObject({
  ...{ name: str, plan: str.optional(), region, previewPlan: str.optional() },
  ...{ postgresMajorVersion: str.optional(), databaseName: str.optional(), user: str.optional() },
  ...{ diskSizeGB: num.optional(), ipAllowList: ipAllowList.optional() },
  highAvailability: z.strictObject({ enabled: z.boolean() }).optional(),
});
const resources = {
  services: z.array(service).optional(),
  databases: z.array(database).optional(),
  envVarGroups: z.array(z.strictObject({ name: str, envVars: z.array(groupVar) })).optional(),
};
const environment = z.strictObject({ name: str, ...resources });

export const blueprint = z.strictObject({
  ...resources,
  previews: z.strictObject({ generation: z.enum(['off', 'manual', 'automatic']) }).optional(),
  projects: z
    .array(
      z.strictObject({
        name: str,
        envVarGroups: resources.envVarGroups,
        environments: z.array(environment),
      }),
    )
    .optional(),
});

type Environment = z.infer<typeof environment>;
type Service = NonNullable<Environment['services']>[number];

// The environment's tag, which deploy.yml moves only after the doctor passed: a Blueprint sync
// then redeploys what already runs. Releases themselves go out by digest (render.sh).
const imagePattern = /^ghcr\.io\/[a-z0-9-]+\/shipshape-(api|worker|web):([a-z]+)$/;

/** Shipshape's rules: three image services, migrations before the API, the config's variables. */
function shipshapeProblems({
  name: env,
  services = [],
  databases = [],
  envVarGroups = [],
}: Environment) {
  const problems: string[] = [];
  const expect = (ok: boolean, message: string) => ok || problems.push(`${env}: ${message}`);
  const byRole = (role: string) => services.find((s) => s.name.startsWith(`shipshape-${role}`));
  const [api, worker, web] = [byRole('api'), byRole('worker'), byRole('web')];
  const vars = (s?: { envVars?: object[] }) => (s?.envVars ?? []) as Record<string, unknown>[];
  const valueOf = (s: Service | undefined, key: string) => vars(s).find((v) => v.key === key);
  const upstream = valueOf(web, 'API_UPSTREAMS')?.fromService as
    Record<string, unknown> | undefined;
  const port = valueOf(api, 'PORT')?.value;

  expect(
    api?.type === 'pserv',
    'the api is a private service (type: pserv): a web service would answer on its own onrender.com address, around Caddy',
  );
  expect(
    port !== undefined && port !== '10000',
    'the api sets PORT, and not 10000 (reserved for public traffic, unusable on the private network)',
  );
  expect(
    upstream?.name === api?.name && upstream?.property === 'hostport',
    "web's API_UPSTREAMS is the api's hostport (fromService)",
  );
  expect(
    api !== undefined &&
      'preDeployCommand' in api &&
      api.preDeployCommand === 'node dist/migrate.js',
    'the api runs `node dist/migrate.js` as its preDeployCommand',
  );
  expect(worker?.type === 'worker', 'the worker is a background worker (type: worker)');
  expect(
    web?.type === 'web' && web.healthCheckPath !== undefined,
    'web is a web service with a healthCheckPath',
  );
  expect(databases.length === 1, 'one Postgres database');
  const kv = services.flatMap((s) => (s.type === 'keyvalue' ? [s] : []));
  expect(
    kv.length === 1 && kv[0]?.maxmemoryPolicy === 'noeviction',
    'one Key Value with maxmemoryPolicy noeviction (BullMQ)',
  );

  for (const [role, s] of [
    ['api', api],
    ['worker', worker],
    ['web', web],
  ] as const) {
    if (!s || !('runtime' in s)) continue;
    expect(
      s.runtime === 'image' && s.image !== undefined,
      `${s.name}: runs the published image (runtime: image with image.url)`,
    );
    const url = String(s.image?.url);
    const match = imagePattern.exec(url);
    expect(
      match?.[1] === role && match[2] === env,
      `${s.name}: image.url ${url} is ghcr.io/<owner>/shipshape-${role}:${env} (the tag deploy.yml moves after the doctor)`,
    );
    expect(
      s.image?.creds !== undefined,
      `${s.name}: image.creds names the GHCR registry credential`,
    );
    const names = vars(s).flatMap((v) =>
      typeof v.fromGroup === 'string'
        ? (envVarGroups.find((g) => g.name === v.fromGroup)?.envVars ?? []).map((g) => g.key)
        : [String(v.key)],
    );
    problems.push(...variableProblems(s.name, role, names).map((p) => `${env}: ${p}`));
  }
  const names = [...services, ...databases].map((r) => r.name);
  for (const ref of services.flatMap(vars)) {
    const target = (ref.fromDatabase ?? ref.fromService) as { name: string } | undefined;
    if (target)
      expect(
        names.includes(target.name),
        `${String(ref.key)} refers to ${target.name}, which is not in this environment`,
      );
    if (typeof ref.fromGroup === 'string')
      expect(
        envVarGroups.some((g) => g.name === ref.fromGroup),
        `group ${ref.fromGroup} is not in this environment`,
      );
    if (ref.key === 'TRUST_PROXY')
      expect(ref.value !== 'true', 'TRUST_PROXY=true lets any client choose its address');
  }
  // A credential written in the file would be in git: Render asks for it or generates it.
  for (const ref of [...services, ...envVarGroups].flatMap(vars)) {
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
  const { error } = blueprint.safeParse(doc);
  // Shipshape's rules read the file even where Render's refuse it, so one run shows both; what
  // they cannot read at all, the field reference has already reported.
  const projects = (doc as { projects?: { environments?: Environment[] }[] } | null)?.projects;
  const environments = (projects ?? []).flatMap((project) => project.environments ?? []);
  const found = environments.map((env) => env.name);
  const ours = (env: Environment) => {
    try {
      return shipshapeProblems(env);
    } catch {
      return [`${env.name}: its services cannot be read (see the field reference above)`];
    }
  };
  return [
    judge(
      "render.yaml against Render's field reference (https://render.com/docs/blueprint-spec)",
      (error?.issues ?? []).map((issue) => `render.yaml ${issue.path.join('.')}: ${issue.message}`),
    ),
    judge(
      'render.yaml: api, worker, web, Postgres, Key Value and variables in staging and production',
      [
        ...environments.flatMap(ours),
        ...(['staging', 'production'].every((name) => found.includes(name))
          ? []
          : [
              `render.yaml: environments staging and production under projects (found: ${found.join(', ') || 'none'})`,
            ]),
      ],
    ),
  ];
}

export async function checkRender(): Promise<CheckResult[]> {
  return checkRenderBlueprint(await readFile(join(root, 'render.yaml'), 'utf8'));
}
