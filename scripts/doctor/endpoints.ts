// What the site answers through the proxy: the page, the API's liveness and readiness
// (apps/api/src/health/routes.ts) and the build it runs (apps/api/src/health/version.ts).
import type { Reply } from '@shipshape/stack/http';
import { fail, pass, type CheckResult } from '../check-result';
import { fetchAnswer, unreachable, type Target } from './request';

/** GETs a path of the site, or hands back the ✗ line saying why nothing answered. */
async function get(target: Target, name: string, path: string): Promise<Reply | CheckResult> {
  const url = new URL(path, target.url);
  try {
    return await fetchAnswer(target, url);
  } catch (error) {
    return unreachable(name, url, error);
  }
}

const isResult = (value: Reply | CheckResult): value is CheckResult => 'ok' in value;

/** Caddy's own answers when no API replica could take the request. */
function proxyFailure(name: string, path: string, status: number): CheckResult | undefined {
  if (status === 502 || status === 504) {
    return fail(
      name,
      `${path} answered ${status}: the proxy reached no API replica`,
      'start the API (docker compose ps api, docker compose logs api) and check that API_UPSTREAMS names its replicas',
    );
  }
  if (status === 404) {
    return fail(
      name,
      `${path} answered 404: the request did not reach the API`,
      'the Caddyfile must pass /api/*, /healthz and /readyz to the API (the @api matcher)',
    );
  }
  return undefined;
}

export async function checkFrontPage(target: Target): Promise<CheckResult> {
  const name = 'front page /';
  const answer = await get(target, name, '/');
  if (isResult(answer)) return answer;
  const type = answer.headers['content-type'] ?? 'no content type';
  if (answer.status !== 200 || !type.startsWith('text/html')) {
    return fail(
      name,
      `answered ${answer.status} with ${type}`,
      'the web image must hold the built frontend (apps/web/dist) in WEB_ROOT, /srv by default: rebuild and redeploy the web image',
    );
  }
  return pass(name, `200 ${type}, ${answer.body.length} bytes`);
}

export async function checkHealthz(target: Target): Promise<CheckResult> {
  const name = '/healthz';
  const answer = await get(target, name, '/healthz');
  if (isResult(answer)) return answer;
  const failure = proxyFailure(name, '/healthz', answer.status);
  if (failure) return failure;
  if (answer.status !== 200) {
    return fail(
      name,
      `answered ${answer.status}`,
      'the API process is in trouble: read its log (docker compose logs api)',
    );
  }
  return pass(name, '200: the API process is alive');
}

interface Readiness {
  checks?: Record<string, string>;
  error?: { code?: string; message?: string };
}

export async function checkReadyz(target: Target): Promise<CheckResult> {
  const name = '/readyz';
  const answer = await get(target, name, '/readyz');
  if (isResult(answer)) return answer;
  const failure = proxyFailure(name, '/readyz', answer.status);
  if (failure) return failure;
  const body = (answer.json ?? {}) as Readiness;
  const checks = Object.entries(body.checks ?? {});
  const listed = checks.map(([dependency, state]) => `${dependency} ${state}`).join(', ');
  if (answer.status === 200) return pass(name, `200: ready (${listed || 'no dependencies'})`);

  if (body.error?.code === 'shutting_down') {
    return fail(
      name,
      `${answer.status}: the API is shutting down`,
      'a deploy or a stop is under way: run the doctor again in a minute, and restart the api container if it stays so',
    );
  }
  const down = checks.filter(([, state]) => state !== 'ok').map(([dependency]) => dependency);
  if (down.length === 0) {
    return fail(
      name,
      `answered ${answer.status}${body.error?.message ? `: ${body.error.message}` : ''}`,
      'read the API log (docker compose logs api)',
    );
  }
  return fail(
    name,
    `${answer.status}: ${down.join(', ')} unavailable (${listed})`,
    `${down.map(howToRevive).join('; ')}; the API logs "readiness check failed: ${down[0] ?? ''}" with the reason (docker compose logs api)`,
  );
}

/** The dependencies apps/api/src/server.ts checks, and where each one lives in compose. */
const dependencies: Record<string, { service: string; setting: string }> = {
  database: { service: 'postgres', setting: 'DATABASE_URL' },
  queue: { service: 'redis', setting: 'REDIS_URL' },
  storage: { service: 'rustfs', setting: 'S3_ENDPOINT and the S3 credentials' },
};

function howToRevive(dependency: string): string {
  const known = dependencies[dependency];
  if (!known) return `bring ${dependency} back`;
  return `bring ${dependency} back (docker compose ps ${known.service}, docker compose logs ${known.service}) and check ${known.setting} in the env file`;
}

interface Version {
  commit?: unknown;
  builtAt?: unknown;
}

/** Two commits match when one is a prefix of the other: people paste short hashes. */
export function sameCommit(served: string, expected: string): boolean {
  const [short, long] = served.length <= expected.length ? [served, expected] : [expected, served];
  return short.length >= 7 && long.toLowerCase().startsWith(short.toLowerCase());
}

export async function checkVersion(target: Target, expectCommit?: string): Promise<CheckResult> {
  const name = '/api/version';
  const answer = await get(target, name, '/api/version');
  if (isResult(answer)) return answer;
  const failure = proxyFailure(name, '/api/version', answer.status);
  if (failure) return failure;
  const body = answer.json as Version | undefined;
  if (answer.status !== 200 || typeof body?.commit !== 'string') {
    return fail(
      name,
      `answered ${answer.status} without a commit`,
      'deploy an API image built from this repository (its Dockerfile passes GIT_COMMIT)',
    );
  }
  const built = typeof body.builtAt === 'string' ? `, built ${body.builtAt}` : '';
  if (expectCommit === undefined) return pass(name, `serves commit ${body.commit}${built}`);
  if (!sameCommit(body.commit, expectCommit)) {
    return fail(
      name,
      `serves commit ${body.commit}${built}, expected ${expectCommit}`,
      `the new image is not the one answering: check that the deploy pulled the image tagged with ${expectCommit} and recreated the API containers (docker compose pull, then docker compose up -d), and that the image was built with --build-arg GIT_COMMIT`,
    );
  }
  return pass(name, `serves commit ${body.commit}${built}, as expected`);
}
