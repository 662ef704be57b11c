// `pnpm dev`: the whole app on a laptop with nothing but Node installed.
// With no DATABASE_URL it starts an embedded Postgres (data under DATA_DIR), migrates it,
// then runs the API with reload on change. Ctrl-C stops everything cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '@shipshape/config';
import { connectDatabase, migrateDatabase } from '@shipshape/db';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@shipshape/db/embedded';

const config = loadConfigOrExit();
if (!config.isLocal) {
  console.error(`pnpm dev is for APP_ENV=local (it is ${config.appEnv}).`);
  process.exit(1);
}

const tsxCli = fileURLToPath(import.meta.resolve('tsx/cli'));
const step = (text: string) => console.log(`\x1b[36m›\x1b[0m ${text}`);

let embedded: EmbeddedPostgres | undefined;
let databaseUrl = config.databaseUrl;
if (!databaseUrl) {
  const dataDir = join(config.dataDir, 'postgres');
  step(`Starting embedded Postgres (data in ${dataDir}) ...`);
  embedded = await startEmbeddedPostgres({ dataDir });
  databaseUrl = embedded.url;
}

step('Applying database migrations ...');
const { pool, db } = connectDatabase(databaseUrl, { max: 1 });
await migrateDatabase(db);
await pool.end();

step('Starting the API (reloads when you save a file) ...');
const children: ChildProcess[] = [
  spawn(process.execPath, [tsxCli, 'watch', '--clear-screen=false', 'apps/api/src/server.ts'], {
    stdio: 'inherit',
    env: { ...process.env, DATABASE_URL: databaseUrl },
  }),
];

await waitUntilHealthy(`http://127.0.0.1:${config.port}/healthz`);
console.log(
  `\n  \x1b[1mShipshape is running at http://localhost:${config.port}\x1b[0m\n  Press Ctrl-C to stop.\n`,
);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await Promise.all(children.map((child) => exited(child)));
  await embedded?.stop();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => {
  for (const child of children) child.kill('SIGTERM');
  void stop();
});
for (const child of children) child.on('exit', () => void stop());

function exited(child: ChildProcess) {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
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
