// Attempt counts in the auth_attempts table, for deployments without Redis (local development),
// kept by rate-limiter-flexible's Postgres store. Migrations create the table in the layout the
// store expects (packages/db/src/schema.ts); the store never creates one itself.
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import type { Database, DatabaseConnection } from '@shipshape/db';
import {
  countWith,
  limiterOptions,
  type AttemptCounter,
  type AttemptCounterOptions,
} from './counter';

export function createPostgresAttemptCounter(
  db: Database,
  options: AttemptCounterOptions,
): AttemptCounter {
  // connectDatabase() makes drizzle over a pg pool, which drizzle keeps as $client.
  const { $client: pool } = db as Database & { $client: DatabaseConnection['pool'] };
  // The store names its statements, and the embedded database of `pnpm dev` runs every
  // connection in one session, where a second connection preparing the same name fails:
  // unnamed statements work on both. The pool belongs to the caller, who ends it.
  const unnamed = {
    query: ({ text, values }: { text: string; values?: unknown[] }) => pool.query(text, values),
  };
  const limiter = new RateLimiterPostgres({
    ...limiterOptions(options),
    storeClient: unnamed,
    storeType: 'client',
    tableName: 'auth_attempts',
    tableCreated: true,
    // Every 5 minutes, deletes rows whose window closed over an hour ago (on a timer that does
    // not keep the process alive).
    clearExpiredByTimeout: true,
  });
  return countWith(limiter);
}
