// A throwaway database for one test run: a fresh database on the server that
// `baseUrl` points at (CI uses the machine's Postgres), or an in-memory embedded one.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connectDatabase } from './client';
import { startEmbeddedPostgres } from './embedded';
import { migrateDatabase } from './migrate';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(baseUrl: string | undefined): Promise<TestDatabase> {
  const database = baseUrl ? await createOnServer(baseUrl) : await startEmbeddedPostgres();
  const { pool, db } = connectDatabase(database.url, { max: 1 });
  try {
    await migrateDatabase(db);
  } finally {
    await pool.end();
  }
  return {
    url: database.url,
    drop: () => ('drop' in database ? database.drop() : database.stop()),
  };
}

async function createOnServer(baseUrl: string): Promise<TestDatabase> {
  const name = `shipshape_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
