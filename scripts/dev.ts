// `pnpm dev`: the whole app on a laptop with nothing but Node installed.
// Whatever is not configured is started here, once, and kept across code reloads:
// an embedded Postgres when DATABASE_URL is unset, an embedded S3 server when S3_ENDPOINT is unset.
// Then the API runs with reload on change, and the worker too when REDIS_URL is set (without it,
// the API runs the same job handlers in-process). Ctrl-C stops everything cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '@shipshape/config';
import { connectDatabase, migrateDatabase } from '@shipshape/db';
import { startEmbeddedPostgres } from '@shipshape/db/embedded';
import { embeddedS3Env, startEmbeddedS3 } from '@shipshape/storage/embedded';

// A developer's overrides, if any; variables already set in the shell win.
if (existsSync('.env')) process.loadEnvFile('.env');

const config = loadConfigOrExit();
if (!config.isLocal) {
  console.error(`pnpm dev is for APP_ENV=local (it is ${config.appEnv}).`);
  process.exit(1);
}

const tsxCli = fileURLToPath(import.meta.resolve('tsx/cli'));
const step = (text: string) => {
  console.log(`\x1b[36m›\x1b[0m ${text}`);
};
const stoppers: (() => Promise<void>)[] = [];
const env: NodeJS.ProcessEnv = { ...process.env };

if (!config.databaseUrl) {
  const dataDir = join(config.dataDir, 'postgres');
  step(`Starting embedded Postgres (data in ${dataDir}) ...`);
  const postgres = await startEmbeddedPostgres({ dataDir });
  stoppers.push(() => postgres.stop());
  env.DATABASE_URL = postgres.url;
}

if (!config.s3.endpoint) {
  const dataDir = join(config.dataDir, 's3');
  step(`Starting embedded S3 server (data in ${dataDir}) ...`);
  const s3 = await startEmbeddedS3({ dataDir });
  stoppers.push(() => s3.stop());
  Object.assign(env, embeddedS3Env(s3));
}

step('Applying database migrations ...');
const { pool, db } = connectDatabase(env.DATABASE_URL ?? '', { max: 1 });
await migrateDatabase(db);
await pool.end();

const watch = (entry: string) =>
  spawn(process.execPath, [tsxCli, 'watch', '--clear-screen=false', entry], {
    stdio: 'inherit',
    env,
  });

step('Starting the API (reloads when you save a file) ...');
const children: ChildProcess[] = [watch('apps/api/src/server.ts')];
if (config.redis.url) {
  step('Starting the worker (jobs go through Redis) ...');
  children.push(watch('apps/worker/src/main.ts'));
} else {
  step("No REDIS_URL: the API runs the worker's job handlers in-process.");
}

await waitUntilHealthy(`http://127.0.0.1:${config.port}/healthz`);
console.log(
  `\n  \x1b[1mShipshape is running at http://localhost:${config.port}\x1b[0m\n  Press Ctrl-C to stop.\n`,
);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map(exited));
  for (const stopService of stoppers.reverse()) await stopService();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
for (const child of children) child.on('exit', () => void stop());

function exited(child: ChildProcess) {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else
      child.once('exit', () => {
        resolve();
      });
  });
}

async function waitUntilHealthy(url: string) {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`The API did not answer on ${url} within a minute.`);
}
