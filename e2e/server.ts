// The app as the end-to-end tests see it: the real API process, serving the real frontend,
// on a throwaway database (on DATABASE_URL's server when set, else embedded) dropped at exit.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '@shipshape/config';
import { createTestDatabase } from '@shipshape/db/testing';

const config = loadConfigOrExit();
const database = await createTestDatabase(config.databaseUrl);
const tsxCli = fileURLToPath(import.meta.resolve('tsx/cli'));

const api = spawn(process.execPath, [tsxCli, 'apps/api/src/server.ts'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    APP_ENV: 'local',
    DATABASE_URL: database.url,
    // The tests sign in and out many times from one address.
    AUTH_RATE_LIMIT: '1000',
  },
});

async function stop(code: number) {
  api.kill('SIGTERM');
  await new Promise((resolve) => api.once('exit', resolve));
  await database.drop();
  process.exit(code);
}
api.once('exit', (code) => void database.drop().then(() => process.exit(code ?? 1)));
process.once('SIGTERM', () => void stop(0));
process.once('SIGINT', () => void stop(0));
