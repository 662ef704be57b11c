// The database's clock, the one that stamps every stored time (see packages/db/src/schema.ts):
// a job compares stored times with it, never with the clock of the machine it runs on.
import { sql } from 'drizzle-orm';
import type { Database } from '@shipshape/db';

export async function databaseNow(db: Database): Promise<Date> {
  const { rows } = await db.execute<{ now: string }>(sql`select now() as now`);
  const [row] = rows;
  if (!row) throw new Error('select now() returned no row');
  // Postgres' text for a timestamptz, which drizzle hands back unparsed here; its own
  // timestamp columns turn it into a Date the same way.
  return new Date(row.now);
}
