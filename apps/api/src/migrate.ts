// `pnpm db:migrate`, and the release step of a deployment (`node dist/migrate.js` in the api
// image): applies the committed migrations to DATABASE_URL, then exits. The API server never
// migrates by itself (docs/decisions/007-migrations-as-their-own-step.md).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '@shipshape/config';
import { connectDatabase, migrateDatabase, migrationsFolder } from '@shipshape/db';

const config = loadConfigOrExit();
if (!config.databaseUrl) {
  console.error(
    'DATABASE_URL is not set. In local development `pnpm dev` migrates its embedded database at start; ' +
      'set DATABASE_URL to migrate another server.',
  );
  process.exit(1);
}

// The production bundle carries the migrations beside it (see tsup.config.ts); run from source,
// they are read where they are written, in packages/db.
const bundled = fileURLToPath(new URL('./migrations', import.meta.url));
const folder = existsSync(bundled) ? bundled : migrationsFolder;

const started = Date.now();
const target = new URL(config.databaseUrl);
console.log(`Applying migrations to ${target.host}${target.pathname} ...`);
const { pool, db } = connectDatabase(config.databaseUrl, { max: 1 });
try {
  await migrateDatabase(db, folder);
  console.log(`Database is up to date (${Date.now() - started} ms).`);
} catch (error) {
  console.error('Migration failed; nothing after the failing migration was applied.');
  throw error;
} finally {
  await pool.end();
}
