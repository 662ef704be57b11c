// `pnpm db:migrate`, and the release step of a deployment (`node dist/migrate.js` in the api
// image): applies the committed migrations to DATABASE_URL, then exits. The API server never
// migrates by itself (docs/decisions/007-migrations-as-their-own-step.md).
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '@shipshape/config';
import { connectDatabase, migrateDatabase, migrationsFolder } from '@shipshape/db';
import { isDependencyOutage } from './http/outages';

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

// A release runs this once, right after Postgres may have started, or on a server busy serving
// the release before it: a connection that is refused, times out or drops is tried again a few
// times before the release is called failed. Each migration is a transaction, so a broken
// connection leaves nothing half-applied, and running again is safe.
const attempts = 5;
const pause = 3_000;

const started = Date.now();
const target = new URL(config.databaseUrl);
console.log(`Applying migrations to ${target.host}${target.pathname} ...`);
for (let attempt = 1; ; attempt += 1) {
  const { pool, db } = connectDatabase(config.databaseUrl, { max: 1, connectTimeoutMs: 15_000 });
  try {
    await migrateDatabase(db, folder);
    console.log(`Database is up to date (${Date.now() - started} ms).`);
    break;
  } catch (error) {
    if (!isDependencyOutage(error) || attempt === attempts) {
      console.error('Migration failed; nothing after the failing migration was applied.');
      throw error;
    }
    const reason = error instanceof Error ? (error.cause ?? error) : error;
    console.log(
      `Postgres did not answer (${reason instanceof Error ? reason.message : String(reason)}); ` +
        `trying again in ${pause / 1000} s (attempt ${attempt + 1} of ${attempts}) ...`,
    );
    await sleep(pause);
  } finally {
    await pool.end();
  }
}
