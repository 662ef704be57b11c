import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema';

export type Database = NodePgDatabase<typeof schema>;
/** What `db.transaction(async (tx) => ...)` hands its callback: queries that commit together. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface DatabaseConnection {
  pool: pg.Pool;
  db: Database;
}

/** The one row an INSERT ... RETURNING of a single row gives back. */
export function singleRow<T>(rows: T[]): T {
  const [row] = rows;
  if (row === undefined) throw new Error('Expected one row, got none.');
  return row;
}

const UNIQUE_VIOLATION = '23505';

/** True for Postgres' unique_violation; drizzle wraps driver errors, so the code may sit on the cause. */
export function isUniqueViolation(error: unknown): boolean {
  const codeOf = (e: unknown) => (e as { code?: unknown } | undefined)?.code;
  return codeOf(error) === UNIQUE_VIOLATION || codeOf((error as Error).cause) === UNIQUE_VIOLATION;
}

/** One pool per process; drizzle runs its queries through it. */
export function connectDatabase(
  url: string,
  { max = 10, connectTimeoutMs = 5_000 }: { max?: number; connectTimeoutMs?: number } = {},
): DatabaseConnection {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: connectTimeoutMs,
  });
  // A connection that breaks while idle in the pool (Postgres restarted or failed over, a cut
  // network) is reported as an 'error' event on the pool, and with no listener Node ends the
  // process: every API replica and worker would die with a Postgres restart. The pool has
  // already dropped that connection and opens a new one for the next query; a lasting outage
  // shows there, as failed queries (503) and in /readyz, where it is logged.
  pool.on('error', () => undefined);
  return { pool, db: drizzle(pool, { schema }) };
}
