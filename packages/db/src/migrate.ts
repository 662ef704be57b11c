import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { Database } from './client';

export const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * Applies every committed migration not yet applied. Safe to run again. `folder` is for a
 * production bundle, which carries a copy of the migrations (apps/api/src/migrate.ts).
 */
export async function migrateDatabase(db: Database, folder = migrationsFolder): Promise<void> {
  await migrate(db, { migrationsFolder: folder });
}
