// The app as the end-to-end tests see it: the real API process serving the real frontend, on a
// throwaway database (on DATABASE_URL's server when set, else embedded) and S3 bucket. With
// REDIS_URL the real worker process runs the jobs under a key prefix of its own; without it the
// API runs them in-process. Everything is removed at exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '@shipshape/config';
import { createTestDatabase } from '@shipshape/db/testing';
import { deleteKeysWithPrefix } from '@shipshape/queue';
import { embeddedS3Env, startEmbeddedS3 } from '@shipshape/storage/embedded';

const config = loadConfigOrExit();
const runId = randomBytes(4).toString('hex');
const database = await createTestDatabase(config.databaseUrl);
const s3 = await startEmbeddedS3();
const tsxCli = fileURLToPath(import.meta.resolve('tsx/cli'));

const env: NodeJS.ProcessEnv = {
  ...process.env,
  APP_ENV: 'local',
  DATABASE_URL: database.url,
  ...embeddedS3Env(s3),
  S3_BUCKET: `shipshape-e2e-${runId}`,
  REDIS_PREFIX: `shipshape-e2e-${runId}`,
  // The tests sign in and out many times from one address.
  AUTH_RATE_LIMIT: '1000',
};
const start = (entry: string) =>
  spawn(process.execPath, [tsxCli, entry], { stdio: 'inherit', env });

const children: ChildProcess[] = [start('apps/api/src/server.ts')];
if (config.redis.url) children.push(start('apps/worker/src/main.ts'));

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map((child) =>
      child.exitCode === null
        ? new Promise((resolve) => child.once('exit', resolve))
        : Promise.resolve(),
    ),
  );
  await database.drop();
  await s3.stop();
  if (config.redis.url) await deleteKeysWithPrefix(config.redis.url, env.REDIS_PREFIX ?? '');
  process.exit(code);
}
for (const child of children) child.once('exit', (code) => void stop(code ?? 1));
process.once('SIGTERM', () => void stop(0));
process.once('SIGINT', () => void stop(0));
