// A database of its own for every test file, copied from a template migrated once per run,
// so that a test can count rows exactly: nothing another file wrote is ever there.
// - On a Postgres server (DATABASE_URL): `CREATE DATABASE … TEMPLATE` the run's template.
// - Embedded (no DATABASE_URL): PGlite serves a single database per instance and cannot
//   connect to another one, so the template is a dump of a migrated data directory and each
//   file starts its own PGlite from it (half a second, against four for a fresh initdb).
//
// The one teardown rule for every test: a resource made inside a test is released with
// `onTestFinished`; one made while a file or `describe` is collected (this database, a pool or
// an app shared by its tests) with `afterAll`. A helper that may be called either way uses
// `releaseWhenDone`, which applies the rule. One polling helper too: `vi.waitFor`
// (with `jobWait` when what it waits for is a job).
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, inject, onTestFinished, TestRunner } from 'vitest';
import { connectDatabase } from './client';
import { databaseUrlOn, onServer, type ServerDatabase } from './databases';
import { servePGlite } from './embedded';
import { migrateDatabase, migrationsFolder } from './migrate';

export { createEmptyDatabase } from './databases';

/** Where files copy their database from; made by test/global-setup.ts, given by `inject`. */
export type DatabaseTemplate =
  | { kind: 'server'; serverUrl: string; name: string; runId: string }
  | { kind: 'embedded'; dumpFile: string };

declare module 'vitest' {
  export interface ProvidedContext {
    databaseTemplate: DatabaseTemplate;
  }
}

/** Migrates the run's template; `drop` removes it and any file database a crash left behind. */
export async function createDatabaseTemplate(
  serverUrl: string | undefined,
  runId: string,
): Promise<{ template: DatabaseTemplate; drop(): Promise<void> }> {
  if (!serverUrl) return createEmbeddedTemplate(runId);
  const name = `shipshape_template_${runId}`;
  await onServer(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const { pool, db } = connectDatabase(databaseUrlOn(serverUrl, name), { max: 1 });
  try {
    await migrateDatabase(db);
  } finally {
    await pool.end();
  }
  // A database being copied must have no session open; none can open one now.
  await onServer(serverUrl, (admin) =>
    admin.query(`ALTER DATABASE ${name} WITH ALLOW_CONNECTIONS false`),
  );
  return {
    template: { kind: 'server', serverUrl, name, runId },
    drop: () =>
      onServer(serverUrl, async (admin) => {
        const { rows } = await admin.query<{ datname: string }>(
          `SELECT datname FROM pg_database WHERE datname LIKE $1`,
          [`shipshape_%_${runId}%`],
        );
        for (const { datname } of rows) {
          await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
        }
      }),
  };
}

async function createEmbeddedTemplate(runId: string) {
  const pglite = await PGlite.create();
  await migrate(drizzle(pglite), { migrationsFolder });
  const dumpFile = join(tmpdir(), `shipshape_template_${runId}.tar`);
  await writeFile(dumpFile, Buffer.from(await (await pglite.dumpDataDir('none')).arrayBuffer()));
  await pglite.close();
  return {
    template: { kind: 'embedded', dumpFile } satisfies DatabaseTemplate,
    drop: () => rm(dumpFile, { force: true }),
  };
}

/**
 * One migrated database for a process that is not a test file (a `pnpm dev` under test): a
 * template of its own, copied once.
 */
export async function createTestDatabase(serverUrl: string | undefined): Promise<ServerDatabase> {
  const template = await createDatabaseTemplate(serverUrl, randomBytes(4).toString('hex'));
  const database = databaseFromTemplate(template.template);
  await database.create();
  return {
    url: database.url,
    async drop() {
      await database.drop();
      await template.drop();
    },
  };
}

interface FileDatabase extends ServerDatabase {
  /** `url` is known at once, so that pools can be made at module level; it answers after this. */
  create(): Promise<void>;
}

/** A database copied from `template`: its URL now, the copy when `create` is called. */
export function databaseFromTemplate(template: DatabaseTemplate): FileDatabase {
  if (template.kind === 'embedded') return embeddedFromTemplate(template.dumpFile);
  const name = `shipshape_test_${template.runId}_${randomBytes(4).toString('hex')}`;
  return {
    url: databaseUrlOn(template.serverUrl, name),
    async create() {
      await onServer(template.serverUrl, (admin) =>
        admin.query(`CREATE DATABASE ${name} TEMPLATE ${template.name}`),
      );
    },
    async drop() {
      await onServer(template.serverUrl, (admin) =>
        admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      );
    },
  };
}

function embeddedFromTemplate(dumpFile: string): FileDatabase {
  // A Unix socket in a directory of its own: its path, unlike a free port, is known at once.
  const socketDir = mkdtempSync(join(tmpdir(), 'shipshape-pg-'));
  let stop = () => Promise.resolve();
  return {
    url: `postgres://postgres@${encodeURIComponent(socketDir)}/postgres`,
    async create() {
      const dump = new Blob([await readFile(dumpFile)]);
      const pglite = await PGlite.create({ loadDataDir: dump });
      ({ stop } = await servePGlite(pglite, { path: join(socketDir, '.s.PGSQL.5432') }));
    },
    async drop() {
      await stop();
      await rm(socketDir, { recursive: true, force: true });
    },
  };
}

let fileDatabase: FileDatabase | undefined;

/**
 * Gives this test file a database of its own, copied from the run's template before its
 * first test and dropped after its last. Call it once, at module level, before anything
 * that uses `testDatabaseUrl()`.
 */
export function useTestDatabase(): { url: string } {
  if (fileDatabase) throw new Error('useTestDatabase() is called once per test file');
  const database = databaseFromTemplate(inject('databaseTemplate'));
  fileDatabase = database;
  beforeAll(() => database.create());
  // Registered first, so it runs after every other afterAll: pools are closed by then.
  afterAll(() => database.drop());
  return { url: database.url };
}

/** This file's database (see `useTestDatabase`), for helpers that connect to it. */
export function testDatabaseUrl(): string {
  if (!fileDatabase) {
    throw new Error('This test file has no database: call useTestDatabase() at its top');
  }
  return fileDatabase.url;
}

/** `vi.waitFor` options for waiting on a background job: generous, as tests share two cores. */
export const jobWait = { timeout: 20_000, interval: 50 };

/** Releases a helper's resource by the rule above: after the test that made it, else after its suite. */
export function releaseWhenDone(release: () => unknown): void {
  const hook = TestRunner.getCurrentTest() ? onTestFinished : afterAll;
  hook(async () => {
    await release();
  });
}
