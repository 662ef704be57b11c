// `pnpm db:migrate`: applies the committed migrations to DATABASE_URL.
// Deployments run it as its own step before the new version starts.
import { loadConfigOrExit } from '@shipshape/config';
import { connectDatabase } from './client';
import { migrateDatabase } from './migrate';

const config = loadConfigOrExit();
if (!config.databaseUrl) {
  console.error(
    'DATABASE_URL is not set. In local development `pnpm dev` migrates its embedded database at start; ' +
      'set DATABASE_URL to migrate another server.',
  );
  process.exit(1);
}

const started = Date.now();
const target = new URL(config.databaseUrl);
console.log(`Applying migrations to ${target.host}${target.pathname} ...`);
const { pool, db } = connectDatabase(config.databaseUrl, { max: 1 });
try {
  await migrateDatabase(db);
  console.log(`Database is up to date (${Date.now() - started} ms).`);
} finally {
  await pool.end();
}
