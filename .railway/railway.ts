// Shipshape on Railway, as Infrastructure as Code (docs.railway.com/infrastructure-as-code).
// docs/deploy/railway.md explains each choice and the release procedure.
//
// How the Railway CLI runs this file (railwayapp/cli v5.43.1, src/iac/eval.rs): it imports it
// with Node, calls the default export with an empty object, and diffs what it returns with the
// environment the token names. So the argument tells this file nothing. Everything that differs
// between runs comes from the environment of the `railway` command, which the CLI's Node process
// inherits and deploy/targets/railway.sh sets:
// - DEPLOY_ENV, the environment being deployed (staging or production);
// - API_IMAGE, WORKER_IMAGE and WEB_IMAGE, each service's image pinned by digest. Every service
//   carries its image in every run: the CLI's diff (src/iac/change_set.rs) compares a missing
//   `source` as null and would clear the image the service runs.
// Secrets and per-account settings are not here either: they are shared variables of each
// Railway environment, created once by hand and referenced as `${{shared.NAME}}`.
import {
  createRailwayContext,
  image,
  postgres,
  project,
  redis,
  service,
  type ProjectDefinition,
  type RailwayContextInput,
  type VariableValue,
} from 'railway/iac';

const environments = ['staging', 'production'] as const;
type Environment = (typeof environments)[number];
type Env = Readonly<Record<string, string | undefined>>;

/** Each app service by the variable that names its image, and the image's repository name. */
const images = {
  api: { variable: 'API_IMAGE', repository: 'shipshape-api' },
  worker: { variable: 'WORKER_IMAGE', repository: 'shipshape-worker' },
  web: { variable: 'WEB_IMAGE', repository: 'shipshape-web' },
} as const;

/**
 * `{ source: image(ref) }` for the image named in the service's variable. A missing variable, or
 * a reference that is not ghcr.io/<owner>/<repository>@sha256:<digest>, stops the plan: a tag
 * can be moved after the plan was reviewed, a digest cannot.
 */
export function imageSource(role: keyof typeof images, env: Env = process.env) {
  const { variable, repository } = images[role];
  const ref = env[variable] ?? '';
  const pinned = new RegExp(`^ghcr\\.io/[a-z0-9-]+/${repository}@sha256:[0-9a-f]{64}$`);
  if (!pinned.test(ref)) {
    throw new Error(
      `${variable} must be ghcr.io/<owner>/${repository}@sha256:<digest>, not "${ref}" ` +
        '(deploy/targets/railway.sh sets it; by hand, set all three images)',
    );
  }
  return { source: image(ref) };
}

/**
 * The environment this run describes: DEPLOY_ENV. A runner that does pass the environment's
 * name (the SDK's own `railway-iac-ts`, chosen with `--runner`) must name the same one.
 */
export function environmentName(
  given: RailwayContextInput | undefined,
  env: Env = process.env,
): Environment {
  const name = env.DEPLOY_ENV;
  const found = environments.find((candidate) => candidate === name);
  if (!found) {
    // APP_ENV takes only these two outside local; another environment (a pull-request copy,
    // say) needs a decision about its data and secrets before it gets a line here.
    throw new Error(`DEPLOY_ENV must be one of ${environments.join(', ')}, not "${String(name)}"`);
  }
  const named = given?.environment ?? given?.environmentName;
  if (named !== undefined && named !== found) {
    throw new Error(`DEPLOY_ENV is ${found}, but this plan is for the ${named} environment`);
  }
  return found;
}

export default function shipshape(given?: RailwayContextInput): ProjectDefinition {
  const appEnv = environmentName(given);
  const production = appEnv === 'production';
  // The SDK's references to shared variables, made here because the CLI passes no context.
  const refs: Readonly<Record<string, VariableValue | undefined>> = createRailwayContext().shared;
  const shared = (name: string): VariableValue => {
    const ref = refs[name];
    if (!ref) throw new Error(`no reference for the shared variable ${name}`);
    return ref;
  };

  // Railway's managed Postgres and Redis. Their URLs point at the private network.
  const db = postgres('postgres');
  const cache = redis('redis');

  // Everything api and worker read besides their own few settings. The config refuses to start
  // outside local without DATABASE_URL, REDIS_URL, S3_BUCKET, a 32-character SESSION_SECRET,
  // an https PUBLIC_URL, an SMTP server and a MAIL_FROM.
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
    // Where browsers send the parts of an upload, which the API signs its part URLs for: the
    // provider's endpoint, usually S3_ENDPOINT itself (on AWS, an empty shared variable: AWS
    // itself). The bucket needs the CORS rule of deploy/storage/cors.json for PUBLIC_URL, and
    // the web service names this origin in CSP_CONNECT_SRC (docs/deploy/storage.md).
    S3_PUBLIC_ENDPOINT: shared('S3_PUBLIC_ENDPOINT'),
    // Every link in a mail starts here: where people open the site, the web service's public
    // domain (the generated *.up.railway.app or your custom one). RAILWAY_PUBLIC_DOMAIN is that
    // service's own variable; `${{web.…}}` is Railway's reference to another service's
    // variable, filled in when it deploys (docs.railway.com/reference/variables).
    PUBLIC_URL: 'https://${{web.RAILWAY_PUBLIC_DOMAIN}}',
    // The mail provider's SMTP server with its credentials, and the sender (docs/deploy/email.md).
    SMTP_URL: shared('SMTP_URL'),
    MAIL_FROM: shared('MAIL_FROM'),
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
      // The page sends upload parts straight to the bucket: its policy's connect-src names the
      // bucket's endpoint beside the page's own origin. Written out here rather than a shared
      // variable of its own: an empty one would reach Caddy as a connect-src with no source,
      // and the page could not even call /api. On AWS, where S3_PUBLIC_ENDPOINT is empty, put
      // the bucket's origin in its place (docs/deploy/storage.md).
      CSP_CONNECT_SRC: "'self' ${{shared.S3_PUBLIC_ENDPOINT}}",
    },
  });

  return project('shipshape', {
    environments: [...environments],
    resources: [db, cache, api, worker, web],
  });
}
