// Both compose files against the Compose Specification's JSON schema (a pinned copy in schemas/,
// see its README). docker-compose 1.29 checks them against its own older schema only; this one
// is what Compose v2 reads, and it refuses a misspelled key anywhere in the file.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type SchemaObject, type ValidateFunction } from 'ajv';
import { parseDocument } from 'yaml';
import type { CheckResult } from './result';

const root = join(import.meta.dirname, '..', '..');
const composeFiles = ['docker-compose.yml', 'docker-compose.prod.yml'];

// The schema types `restart` as any string. Compose and Docker accept only these; docker-compose
// 1.29 passes a typo such as `unles-stopped` through, and the engine refuses it only on the host.
const restartPolicy = /^(no|always|unless-stopped|on-failure(:\d+)?)$/;

export async function checkComposeSchema(): Promise<CheckResult[]> {
  const validate = compileComposeSchema();
  return Promise.all(
    composeFiles.map(async (file) => ({
      name: `compose-spec schema: ${file}`,
      problems: composeSchemaProblems(await readFile(join(root, file), 'utf8'), validate),
    })),
  );
}

export function compileComposeSchema(): ValidateFunction {
  const schema = JSON.parse(
    readFileSync(join(import.meta.dirname, 'schemas', 'compose-spec.json'), 'utf8'),
  ) as SchemaObject;
  // allErrors: one run lists every problem. strictTypes off: the schema's `type: [a, b]` lists
  // are deliberate (a number or a "${VAR}" string), and its `gpus` list carries object keywords
  // that do nothing; strict mode would print a warning for each on every run.
  const ajv = new Ajv({ allErrors: true, strictTypes: false });
  // The file names draft 7 by its https address; Ajv knows the same meta-schema by its http one.
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
  if (document.errors.length > 0) {
    // Only the message's first line: the rest is a copy of the YAML around it.
    return document.errors.map((error) => error.message.split('\n')[0]?.replace(/:$/, '') ?? '');
  }
  const compose: unknown = document.toJS();
  const problems = validate(compose) ? [] : explain(validate.errors ?? []);
  return [...new Set([...problems, ...restartProblems(compose)])];
}

function explain(errors: ErrorObject[]): string[] {
  // A value that fails a oneOf fails each branch: "must be array" from one, the real problem from
  // another, then "must match exactly one schema". The deeper errors say what is wrong, so a
  // oneOf or type error is left out when another error points inside the same value.
  const deeper = (error: ErrorObject) =>
    errors.some((other) => other.instancePath.startsWith(`${error.instancePath}/`));
  return errors
    .filter((error) => !(['oneOf', 'type'].includes(error.keyword) && deeper(error)))
    .map((error) => `${error.instancePath || '/'}: ${message(error)}`);
}

function message(error: ErrorObject): string {
  const params = error.params as { additionalProperty?: string; allowedValues?: unknown[] };
  if (error.keyword === 'additionalProperties')
    return `unknown key "${params.additionalProperty ?? '?'}"`;
  if (error.keyword === 'enum') return `must be one of ${(params.allowedValues ?? []).join(', ')}`;
  return error.message ?? error.keyword;
}

function restartProblems(compose: unknown): string[] {
  const services = (compose as { services?: unknown } | null)?.services;
  if (typeof services !== 'object' || services === null) return [];
  return Object.entries(services as Record<string, { restart?: unknown } | null>).flatMap(
    ([name, service]) => {
      const restart = service?.restart;
      if (typeof restart !== 'string' || restart.includes('${') || restartPolicy.test(restart)) {
        return [];
      }
      return [
        `/services/${name}/restart: "${restart}" is not no, always, on-failure[:N] or unless-stopped`,
      ];
    },
  );
}
