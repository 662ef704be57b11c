// The variables every deployment file must agree on, each list read from where it is defined:
// the config package's schema for the api and worker, the Caddyfile for the web image.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deploymentVariableNames, envVariableNames } from '@shipshape/config';

export const root = join(import.meta.dirname, '..', '..');

/** What a deployment cannot start without: the config schema's list of required-outside-local. */
export const requiredOutsideLocal = [...deploymentVariableNames];

// Credentials: a deployment file may name them, never hold their value. Kubernetes takes them
// from the Secret, Render asks for them (sync: false) or generates them, Railway references a
// shared variable.
export const secretVariables = [
  ...['DATABASE_URL', 'REDIS_URL', 'SESSION_SECRET', 'S3_SECRET_ACCESS_KEY', 'SMTP_URL'],
  'SMTP_PASSWORD',
];

// The web image is Caddy: it reads the {$NAME}s of the Caddyfile, and PORT, the one a platform
// routes its traffic to (DOMAIN is `:PORT` there).
const caddyfile = readFileSync(join(root, 'Caddyfile'), 'utf8').replace(/#.*$/gm, '');
const webVariables = ['PORT', ...new Set([...caddyfile.matchAll(/\{\$(\w+)/g)].map((m) => m[1]))];

/**
 * A service's variable names against the program it runs: each one is read by it, and none it
 * needs is missing. `platform` names variables the platform itself reads.
 */
export function variableProblems(
  service: string,
  role: 'api' | 'worker' | 'web',
  names: string[],
  platform: string[] = [],
): string[] {
  const known = role === 'web' ? webVariables : [...envVariableNames, ...platform];
  const needed = role === 'web' ? ['DOMAIN', 'API_UPSTREAMS'] : requiredOutsideLocal;
  return [
    ...names.filter((name) => !known.includes(name)).map((n) => `${n} is not a variable it reads`),
    ...needed.filter((name) => !names.includes(name)).map((name) => `${name} is missing`),
  ].map((problem) => `${service}: ${problem}`);
}
