// Databases made on a Postgres server for a process of their own, and dropped when it is done:
// the stacks that `@shipshape/stack` starts, and the test files' copies (testing.ts).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ServerDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A new database with no tables on a Postgres server, for a process that migrates it itself
 * the way a deployment does.
 */
export async function createEmptyDatabase(serverUrl: string): Promise<ServerDatabase> {
  const name = `shipshape_empty_${randomBytes(4).toString('hex')}`;
  await onServer(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  return {
    url: databaseUrlOn(serverUrl, name),
    async drop() {
      await onServer(serverUrl, (admin) =>
        admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      );
    },
  };
}

/** The URL of database `name` on the server at `serverUrl`. */
export function databaseUrlOn(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs `run` on a connection to the server's maintenance database, then closes it. */
export async function onServer<T>(serverUrl: string, run: (admin: pg.Client) => Promise<T>) {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return await run(admin);
  } finally {
    await admin.end();
  }
}
