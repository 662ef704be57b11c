// The one place that reads process.env. Everything else receives a typed Config.
// A bad environment stops the process at start with every problem listed at once.
import { z } from 'zod';

export const appEnvs = ['local', 'staging', 'production'] as const;
export type AppEnv = (typeof appEnvs)[number];

// Values that appear in docs and examples. A real deployment must never run with them.
const exampleSecrets = new Set([
  'change-me',
  'changeme',
  'secret',
  'keyboard cat',
  'local-development-secret-not-for-production',
  'replace-with-the-output-of-openssl-rand-base64-48',
]);

const LOCAL_SESSION_SECRET = 'local-development-secret-not-for-production';

const emptyAsUndefined = (value: unknown) => (value === '' ? undefined : value);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
// Five fields (minute to weekday) or six (seconds first), as BullMQ's cron parser reads them.
// The parser checks the values themselves when the worker registers the schedule.
const cronFields = /^(\S+\s+){4,5}\S+$/;
const booleanString = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const envSchema = z.object({
  APP_ENV: z.enum(appEnvs).default('local'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.preprocess(emptyAsUndefined, z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  SESSION_SECRET: optionalString,
  PUBLIC_URL: z.preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/ }).optional()),
  SMTP_URL: z.preprocess(emptyAsUndefined, z.url({ protocol: /^smtps?$/ }).optional()),
  SMTP_HOST: optionalString,
  SMTP_PORT: z.coerce.number().int().min(1).max(65535).default(587),
  SMTP_USER: optionalString,
  SMTP_PASSWORD: optionalString,
  MAIL_FROM: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[^@\s<>]+@[^@\s<>]+$|^[^<>]*<[^@\s<>]+@[^@\s<>]+>$/, {
        message: 'an address, e.g. no-reply@example.com or "Shipshape <no-reply@example.com>"',
      })
      .optional(),
  ),
  TRUST_PROXY: z
    .string()
    .default('false')
    .refine((value) => value.trim() !== 'true', {
      message:
        'true would let any client choose its own IP; give the hop count or the address of your proxy',
    }),
  AUTH_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  AUTH_ACCOUNT_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(300).default(8),
  WEB_ROOT: optionalString,
  DATA_DIR: z.string().default('.data'),
  REDIS_URL: z.preprocess(emptyAsUndefined, z.url({ protocol: /^rediss?$/ }).optional()),
  REDIS_PREFIX: z
    .string()
    .regex(/^[\w-]+$/)
    .default('shipshape'),
  S3_ENDPOINT: z.preprocess(emptyAsUndefined, z.url().optional()),
  S3_PUBLIC_ENDPOINT: z.preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/ }).optional()),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().default('shipshape'),
  S3_ACCESS_KEY_ID: optionalString,
  S3_SECRET_ACCESS_KEY: optionalString,
  S3_FORCE_PATH_STYLE: booleanString.default(false),
  S3_CHECKSUM: z.enum(['when_required', 'when_supported']).default('when_required'),
  UPLOAD_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(100 * 1024 * 1024),
  FILES_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(1024 * 1024 * 1024),
  JOB_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  JOB_BACKOFF_MS: z.coerce.number().int().min(0).default(2000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(2),
  CLEANUP_EVERY_MINUTES: z.coerce.number().int().min(1).default(60),
  EXPORT_TTL_HOURS: z.coerce.number().int().min(1).default(24),
  BACKUP_SCHEDULE: z
    .string()
    .trim()
    .default('0 3 * * *')
    .refine((value) => value === 'off' || cronFields.test(value), {
      message:
        'a cron expression of 5 fields (minute hour day month weekday, e.g. "0 3 * * *") or 6 (seconds first), or off',
    }),
  BACKUP_KEEP: z.coerce.number().int().min(1).default(14),
  GIT_COMMIT: z.string().default('unknown'),
  BUILD_TIME: z.string().default('unknown'),
});

// What a deployment (APP_ENV staging or production) cannot start without: the variable each
// problem is reported under, whether the raw environment has it (by default: it is set), and why.
const deploymentRequirements: {
  name: keyof typeof envSchema.shape;
  met?: (env: NodeJS.ProcessEnv) => boolean;
  why: (appEnv: string) => string;
}[] = [
  {
    name: 'DATABASE_URL',
    why: (appEnv) =>
      `required when APP_ENV=${appEnv} (the embedded database is for local development only)`,
  },
  {
    name: 'REDIS_URL',
    why: (appEnv) =>
      `required when APP_ENV=${appEnv} (running jobs inside the API is for local development only)`,
  },
  {
    name: 'S3_BUCKET',
    why: (appEnv) => `required when APP_ENV=${appEnv}`,
  },
  // Every link in a mail is built from PUBLIC_URL, never from a request's Host header.
  {
    name: 'PUBLIC_URL',
    met: (env) => Boolean(env.PUBLIC_URL?.startsWith('https://')),
    why: (appEnv) =>
      `required when APP_ENV=${appEnv}: the https:// address people open, e.g. https://shipshape.example.com (links in mail point there)`,
  },
  {
    name: 'SMTP_URL',
    met: (env) => Boolean(env.SMTP_URL || env.SMTP_HOST),
    why: (appEnv) =>
      `required when APP_ENV=${appEnv} (or SMTP_HOST with SMTP_PORT, SMTP_USER and SMTP_PASSWORD): the server that sends mail, see docs/deploy/email.md`,
  },
  {
    name: 'MAIL_FROM',
    why: (appEnv) =>
      `required when APP_ENV=${appEnv}: the sender of every mail, e.g. "Shipshape <no-reply@example.com>"`,
  },
  {
    name: 'SESSION_SECRET',
    met: (env) =>
      (env.SESSION_SECRET ?? '').length >= 32 && !exampleSecrets.has(env.SESSION_SECRET ?? ''),
    why: (appEnv) =>
      `must be a random value of at least 32 characters when APP_ENV=${appEnv} (try: openssl rand -base64 48)`,
  },
];

// Checks that depend on APP_ENV. They read the raw values so that they run
// even when another variable failed to parse: the operator sees every problem at once.
function deploymentProblems(env: NodeJS.ProcessEnv): string[] {
  const appEnv = env.APP_ENV ?? 'local';
  if (appEnv === 'local' || !appEnvs.includes(appEnv as AppEnv)) return [];
  return deploymentRequirements
    .filter(({ name, met = () => Boolean(env[name]) }) => !met(env))
    .map(({ name, why }) => `${name}: ${why(appEnv)}`);
}

/** The variables a deployment cannot start without; the deploy checks hold every target to them. */
export const deploymentVariableNames: string[] = deploymentRequirements.map(({ name }) => name);

/** The variables the schema knows, in order. A test checks .env.example lists exactly these. */
export const envVariableNames = Object.keys(envSchema.shape);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The Config object, built from the parsed variables. Its type is what this returns: a
 * variable is added in the schema above, here, and in .env.example, and nowhere else.
 */
function toConfig(e: z.output<typeof envSchema>) {
  return {
    appEnv: e.APP_ENV,
    isLocal: e.APP_ENV === 'local',
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    /** Unset only in local, where `pnpm dev` starts an embedded database instead. */
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    sessionSecret: e.SESSION_SECRET ?? LOCAL_SESSION_SECRET,
    /** Where people open the site, without a trailing slash; every link in a mail starts here. */
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    mail: {
      smtp: smtpConfig(e),
      from: e.MAIL_FROM ?? 'Shipshape <no-reply@localhost>',
    },
    /** Express `trust proxy`: false (the connecting address is the client), hops, or addresses. */
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    /** Failed sign-ins and sign-ups allowed per client IP in 15 minutes. */
    authRateLimit: e.AUTH_RATE_LIMIT,
    /** Failed sign-ins allowed per account in 15 minutes, whatever the IPs they come from. */
    authAccountRateLimit: e.AUTH_ACCOUNT_RATE_LIMIT,
    /** How long SIGTERM waits for in-flight requests (API) and running jobs (worker). */
    shutdownGraceMs: e.SHUTDOWN_GRACE_SECONDS * 1000,
    webRoot: e.WEB_ROOT,
    dataDir: e.DATA_DIR,
    /** The url is unset only in local, where jobs run inside the API process instead. */
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    s3: {
      /** Unset means AWS itself (or, in local, the embedded S3 server that `pnpm dev` starts). */
      endpoint: e.S3_ENDPOINT,
      /**
       * Where a browser reaches the bucket: upload part URLs are signed for this address. Unset
       * means the same as `endpoint` (or AWS itself).
       */
      publicEndpoint: e.S3_PUBLIC_ENDPOINT ?? e.S3_ENDPOINT,
      region: e.S3_REGION,
      bucket: e.S3_BUCKET,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      forcePathStyle: e.S3_FORCE_PATH_STYLE,
      checksumMode: e.S3_CHECKSUM,
    },
    uploadMaxBytes: e.UPLOAD_MAX_BYTES,
    /** What one user's files may add up to, uploads under way included. */
    filesQuotaBytes: e.FILES_QUOTA_BYTES,
    jobs: {
      attempts: e.JOB_ATTEMPTS,
      backoffMs: e.JOB_BACKOFF_MS,
      concurrency: e.WORKER_CONCURRENCY,
      cleanupEveryMs: e.CLEANUP_EVERY_MINUTES * 60_000,
      exportTtlMs: e.EXPORT_TTL_HOURS * 3_600_000,
      backup: {
        /** A cron pattern in the worker's time zone (UTC in the images); undefined when off. */
        schedule: e.BACKUP_SCHEDULE === 'off' ? undefined : e.BACKUP_SCHEDULE,
        /** How many of the newest backups stay in the bucket; older ones are deleted. */
        keep: e.BACKUP_KEEP,
      },
    },
    /** Stamped into the image at build time (Dockerfile build args); `unknown` when run from source. */
    build: { gitCommit: e.GIT_COMMIT, buildTime: e.BUILD_TIME },
  };
}

export type Config = ReturnType<typeof toConfig>;

/** Turns an environment (process.env by default) into a Config, or throws a ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = envSchema.safeParse(env);
  const problems = [
    ...(result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? []),
    ...deploymentProblems(env),
  ];
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  return toConfig(result.data);
}

/**
 * Where mail is sent. SMTP_URL wins; otherwise SMTP_HOST and its parts, which spare a password
 * full of URL-special characters from being escaped. In local with neither, Mailpit's port on
 * this machine: `pnpm dev` starts a catcher and sets SMTP_URL to it.
 */
function smtpConfig(e: z.output<typeof envSchema>): SmtpConfig {
  if (e.SMTP_URL) return { url: e.SMTP_URL };
  if (!e.SMTP_HOST) return { url: 'smtp://127.0.0.1:1025' };
  return {
    host: e.SMTP_HOST,
    port: e.SMTP_PORT,
    // Port 465 speaks TLS from the first byte; 587 and 25 upgrade with STARTTLS.
    secure: e.SMTP_PORT === 465,
    user: e.SMTP_USER,
    password: e.SMTP_PASSWORD,
  };
}

export type SmtpConfig =
  | { url: string }
  | {
      host: string;
      port: number;
      secure: boolean;
      user?: string | undefined;
      password?: string | undefined;
    };

function parseTrustProxy(value: string): false | number | string {
  const trimmed = value.trim();
  if (trimmed === 'false' || trimmed === '' || trimmed === '0') return false;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/** For entry files: load the config, or print the problems and exit with status 1. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
