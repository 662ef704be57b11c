// Shipshape on Railway, as Infrastructure as Code (docs.railway.com/infrastructure-as-code).
// The Railway CLI evaluates this file once per environment (`railway config plan|apply`), with
// ctx.environment set to that environment's name, and applies the difference to it.
// docs/deploy/railway.md explains each choice and the release procedure.
//
// What this file does not hold:
// - Secrets and per-account settings. They are shared variables of each Railway environment,
//   created once by hand and referenced here through ctx.shared (`${{shared.NAME}}`).
// - Which release runs. The image of each service comes from API_IMAGE, WORKER_IMAGE and
//   WEB_IMAGE in the environment of the command (full references pinned by digest), which
//   deploy/targets/railway.sh sets. Unset, the service is declared without a source, and Railway
//   keeps the image it runs: a plan from a laptop never moves production to another release.
import {
  defineRailway,
  image,
  postgres,
  project,
  redis,
  service,
  type RailwayContext,
  type VariableValue,
} from 'railway/iac';

const environments = ['staging', 'production'] as const;
type Environment = (typeof environments)[number];

/** Each app service by the variable that names its image, and the image's repository name. */
const images = {
  api: { variable: 'API_IMAGE', repository: 'shipshape-api' },
  worker: { variable: 'WORKER_IMAGE', repository: 'shipshape-worker' },
  web: { variable: 'WEB_IMAGE', repository: 'shipshape-web' },
} as const;

/**
 * `{ source: image(ref) }` for the release named in the variable, or nothing when it is unset.
 * A reference that is not ghcr.io/<owner>/<repository>@sha256:<digest> stops the plan: a tag
 * can be moved after the plan was reviewed, a digest cannot.
 */
export function imageSource(role: keyof typeof images, env: NodeJS.ProcessEnv = process.env) {
  const { variable, repository } = images[role];
  const ref = env[variable];
  if (!ref) return {};
  const pinned = new RegExp(`^ghcr\\.io/[a-z0-9-]+/${repository}@sha256:[0-9a-f]{64}$`);
  if (!pinned.test(ref)) {
    throw new Error(
      `${variable} must be ghcr.io/<owner>/${repository}@sha256:<digest>, not ${ref}`,
    );
  }
  return { source: image(ref) };
}

function environmentName(name: string | undefined): Environment {
  const found = environments.find((candidate) => candidate === name);
  if (!found) {
    // APP_ENV takes only these two outside local; another environment (a pull-request copy,
    // say) needs a decision about its data and secrets before it gets a line here.
    throw new Error(
      `Railway environment "${String(name)}" is not one of ${environments.join(', ')}`,
    );
  }
  return found;
}

/**
 * A reference to one of the environment's shared variables (`${{shared.NAME}}`). The SDK types
 * ctx.shared loosely (any name, any value); this gives each reference its real type.
 */
function sharedVariable(ctx: RailwayContext, name: string): VariableValue {
  const refs: Readonly<Record<string, VariableValue | undefined>> = ctx.shared;
  const ref = refs[name];
  if (!ref) throw new Error(`no reference for the shared variable ${name}`);
  return ref;
}

export default defineRailway((ctx) => {
  const appEnv = environmentName(ctx.environment);
  // deploy/targets/railway.sh says which environment it means to deploy; the project token
  // decides which one this is. A token filed under the wrong environment stops here.
  const meant = process.env.DEPLOY_ENV;
  if (meant && meant !== appEnv) {
    throw new Error(`DEPLOY_ENV is ${meant}, but this plan is for the ${appEnv} environment`);
  }
  const production = appEnv === 'production';
  const shared = (name: string) => sharedVariable(ctx, name);

  // Railway's managed Postgres and Redis. Their URLs point at the private network.
  const db = postgres('postgres');
  const cache = redis('redis');

  // Everything api and worker read besides their own few settings. The config refuses to start
  // outside local without DATABASE_URL, REDIS_URL, S3_BUCKET and a 32-character SESSION_SECRET.
  const app = {
    APP_ENV: appEnv,
    LOG_LEVEL: 'info',
    DATABASE_URL: db.env.DATABASE_URL,
    REDIS_URL: cache.env.REDIS_URL,
    REDIS_PREFIX: 'shipshape',
    SESSION_SECRET: shared('SESSION_SECRET'),
    S3_ENDPOINT: shared('S3_ENDPOINT'),
    S3_REGION: shared('S3_REGION'),
    S3_BUCKET: shared('S3_BUCKET'),
    S3_ACCESS_KEY_ID: shared('S3_ACCESS_KEY_ID'),
    S3_SECRET_ACCESS_KEY: shared('S3_SECRET_ACCESS_KEY'),
    S3_FORCE_PATH_STYLE: shared('S3_FORCE_PATH_STYLE'),
    S3_CHECKSUM: shared('S3_CHECKSUM'),
    // Railway sends SIGTERM, then SIGKILL this many seconds later. Both processes drain for up
    // to SHUTDOWN_GRACE_SECONDS (8 s by default) after SIGTERM: 10 s leaves them room to finish.
    RAILWAY_DEPLOYMENT_DRAINING_SECONDS: '10',
  };

  const api = service('api', {
    ...imageSource('api'),
    // Runs once per deploy, in the new image, before it takes traffic; a failure stops the deploy.
    preDeploy: 'node dist/migrate.js',
    // Railway asks this only while a deploy goes live, to decide when to switch traffic; it does
    // not restart a running service on it. So readiness: a release that cannot reach Postgres,
    // Redis or the bucket never replaces one that can.
    healthcheck: '/readyz',
    healthcheckTimeout: 120,
    replicas: production ? 2 : 1,
    env: {
      ...app,
      PORT: '3000',
      // Railway's edge and the web service reach the API from private addresses; the client is
      // the first public address from the right (docs/deploy/railway.md, trust-proxy.md).
      TRUST_PROXY: 'uniquelocal',
    },
  });

  const worker = service('worker', {
    ...imageSource('worker'),
    replicas: 1,
    env: app,
  });

  // Caddy with the repository's Caddyfile. Railway's edge terminates TLS and routes the public
  // domain (generated in the dashboard, or a custom one) to port 8080, where Caddy serves HTTP.
  const web = service('web', {
    ...imageSource('web'),
    healthcheck: '/',
    replicas: production ? 2 : 1,
    env: {
      PORT: '8080',
      DOMAIN: ':8080',
      // Railway fills in the reference when it deploys; the API is reachable only over the
      // private network, as api.railway.internal.
      API_UPSTREAMS: '${{api.RAILWAY_PRIVATE_DOMAIN}}:3000',
      // Believe X-Forwarded-For and X-Forwarded-Proto from Railway's edge (private addresses).
      CADDY_TRUSTED_PROXIES: 'private_ranges',
    },
  });

  return project('shipshape', {
    environments: [...environments],
    resources: [db, cache, api, worker, web],
  });
});
