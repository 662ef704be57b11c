// Backups against the real thing: this file's Postgres database, a bucket of its own on the
// run's S3 server, and the machine's pg_dump and pg_restore. Each restore is compared with the
// data backed up, row for row, in every table the migrations made.
import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { loadConfig } from '@shipshape/config';
import { connectDatabase, type DatabaseConnection } from '@shipshape/db';
import {
  createEmptyDatabase,
  jobWait,
  testDatabaseUrl,
  useTestDatabase,
} from '@shipshape/db/testing';
import {
  createBullmqQueue,
  scheduleBackups,
  startBullmqWorker,
  type JobHandlers,
} from '@shipshape/queue';
import { createStorage } from '@shipshape/storage';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished, vi } from 'vitest';
import { backupKey, listBackups, pruneBackups } from '../src/backup';
import { backupCommand, restoreCommand } from '../src/backup-cli';
import { restoreDatabase } from '../src/backup-restore';
import type { JobDeps } from '../src/deps';
import { createJobHandlers } from '../src/handlers';
import { jobContext, silentLog, testEnv } from '../src/testing';

type Pool = DatabaseConnection['pool'];

const template = inject('databaseTemplate');
// pg_dump needs a Postgres server; the embedded database (no DATABASE_URL) is not one.
const serverUrl = template.kind === 'server' ? template.serverUrl : undefined;

useTestDatabase();

const s3 = inject('s3');
const bucket = `${s3.bucket}-backups-${randomUUID().slice(0, 8)}`;
const env = {
  ...testEnv,
  DATABASE_URL: testDatabaseUrl(),
  S3_ENDPOINT: s3.endpoint,
  S3_REGION: s3.region,
  S3_BUCKET: bucket,
  S3_ACCESS_KEY_ID: s3.accessKeyId,
  S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  S3_FORCE_PATH_STYLE: 'true',
  S3_CHECKSUM: s3.checksumMode,
};
const config = loadConfig(env);
const { pool, db } = connectDatabase(testDatabaseUrl(), { max: 4 });
// pg-pool's end() resolves before its sockets have closed, and the file's database is dropped
// WITH (FORCE) right after: a connection told so then is not an error of this test.
pool.on('error', () => undefined);
const storage = createStorage({ ...s3, bucket });
const deps: JobDeps = {
  db,
  storage,
  logger: pino({ level: 'silent' }),
  jobs: config.jobs,
  databaseUrl: testDatabaseUrl(),
};

beforeAll(async () => {
  await storage.ensureBucket();
  await seed(pool);
});
afterAll(async () => {
  await pool.end();
  storage.close();
});

/** Every row of every table the migrations made (theirs included), and every index. */
async function snapshot(client: Pool): Promise<Record<string, string[]>> {
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
     WHERE table_schema IN ('public', 'drizzle') AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const result: Record<string, string[]> = {};
  for (const { name } of tables) {
    const { rows } = await client.query<{ row: string }>(
      `SELECT t::text AS row FROM ${name} t ORDER BY 1`,
    );
    result[name] = rows.map(({ row }) => row);
  }
  const { rows: indexes } = await client.query<{ def: string }>(
    `SELECT indexdef AS def FROM pg_indexes WHERE schemaname IN ('public', 'drizzle') ORDER BY 1`,
  );
  result.indexes = indexes.map(({ def }) => def);
  return result;
}

/** Users, notes, files, exports and a session, with text that tends to break round trips. */
async function seed(client: Pool): Promise<void> {
  await client.query(`
    INSERT INTO users (email, password_hash)
      SELECT 'user' || i || '@example.com', 'argon2id-hash-' || i FROM generate_series(1, 50) i;
    INSERT INTO notes (user_id, title, body)
      SELECT u.id, 'Note ' || g || ' «Grüße» ✓ 🚢', repeat(E'line\\twith tab\\n', g % 40)
      FROM users u, generate_series(1, 20) g;
    INSERT INTO notes (user_id, title, body)
      SELECT id, E'quote '' backslash \\\\ null-ish \\\\N', '' FROM users LIMIT 1;
    INSERT INTO files (id, user_id, object_key, original_name, content_type, status, size, sha256)
      SELECT gen_random_uuid(), id, 'users/' || id || '/files/' || md5(email), 'photo ' || email || '.jpg',
             'image/jpeg', 'ready', 12345, repeat('ab', 32)
      FROM users;
    INSERT INTO exports (user_id, expires_at) SELECT id, now() + interval '1 day' FROM users LIMIT 5;
    INSERT INTO sessions (sid, sess, expire)
      VALUES ('s1', '{"passport":{"user":"x"},"cookie":{}}', now() + interval '1 day');
  `);
}

async function createEmpty(): Promise<{ url: string; pool: Pool }> {
  if (!serverUrl) throw new Error('unreachable: the suite skips without a server');
  const database = await createEmptyDatabase(serverUrl);
  const target = connectDatabase(database.url, { max: 2 });
  onTestFinished(async () => {
    await target.pool.end();
    await database.drop();
  });
  return { url: database.url, pool: target.pool };
}

/** The newest backup's key: the one a test just made. */
async function latestKey(): Promise<string> {
  const latest = (await listBackups(storage)).at(-1);
  if (!latest) throw new Error('There is no backup in the bucket');
  return latest.key;
}

const runBackupJob = async (jobDeps: JobDeps = deps) =>
  createJobHandlers(jobDeps).backup({}, jobContext());

/** A terminal that nobody types into, and everything printed to it. */
function terminal() {
  const output = new PassThrough();
  let printed = '';
  output.setEncoding('utf8').on('data', (text: string) => (printed += text));
  return { io: { input: Readable.from([]), output }, printed: () => printed };
}

describe.skipIf(!serverUrl)('database backups', () => {
  it('restores into an empty database exactly what was backed up, row for row', async () => {
    const before = await snapshot(pool);
    expect(before['public.notes']).toHaveLength(1001);

    await runBackupJob();
    const key = await latestKey();
    expect(key).toMatch(/^backups\/\d{4}-.*Z\.dump$/);

    const empty = await createEmpty();
    await restoreDatabase({ databaseUrl: empty.url, storage, key, log: silentLog });
    expect(await snapshot(empty.pool)).toEqual(before);
  });

  it('brings back the backed-up data over a database whose tables were dropped or changed', async () => {
    const before = await snapshot(pool);
    await runBackupJob();
    const key = await latestKey();

    await pool.query(`DELETE FROM notes WHERE title LIKE 'Note 1%'`);
    await pool.query(
      `UPDATE users SET email = 'changed@example.com' WHERE email = 'user1@example.com'`,
    );
    await pool.query(`DROP TABLE sessions`);
    expect(await snapshot(pool)).not.toEqual(before);

    await restoreDatabase({
      databaseUrl: testDatabaseUrl(),
      storage,
      key: key,
      log: silentLog,
    });
    expect(await snapshot(pool)).toEqual(before);
  });

  it('stores nothing when pg_dump fails, and says why', async () => {
    const missing = new URL(testDatabaseUrl());
    missing.pathname = '/shipshape_no_such_database';
    const before = await listBackups(storage);

    await expect(runBackupJob({ ...deps, databaseUrl: missing.toString() })).rejects.toThrow(
      /pg_dump exited with code 1: .*shipshape_no_such_database/s,
    );
    expect(await listBackups(storage)).toEqual(before);
  });

  it('keeps the newest BACKUP_KEEP backups and leaves other keys alone', async () => {
    const old = ['2020-01-01', '2020-01-02', '2020-01-03', '2020-01-04'].map((day) =>
      backupKey(new Date(`${day}T03:00:00Z`)),
    );
    const manual = 'backups/before-the-big-migration.dump';
    for (const key of [...old, manual]) {
      await storage.putBuffer(key, Buffer.from('not a real dump'), 'application/octet-stream');
    }
    const existing = (await listBackups(storage)).map(({ key }) => key);

    expect(await pruneBackups(storage, existing.length - 2)).toEqual([old[0], old[1]]);

    const keepTwo = loadConfig({ ...env, BACKUP_KEEP: '2' }).jobs;
    await runBackupJob({ ...deps, jobs: keepTwo });
    const left = (await listBackups(storage)).map(({ key }) => key);
    expect(left).toHaveLength(2);
    expect(left[0]).toBe(existing.at(-1));
    expect([...left].sort()).toEqual(left);
    expect(await storage.head(manual)).toBeDefined();
  });

  it('pnpm db:backup stores a backup and prints its key', async () => {
    const { io, printed } = terminal();
    expect(await backupCommand(config, io)).toBe(0);
    expect(printed()).toContain(`Stored ${await latestKey()}`);
  });

  it('pnpm db:restore lists the backups without a key, and restores nothing without --yes', async () => {
    const key = await latestKey();
    const withoutKey = terminal();
    expect(await restoreCommand(config, [], withoutKey.io)).toBe(2);
    expect(withoutKey.printed()).toContain(key);

    await pool.query(`DELETE FROM notes`);
    const unconfirmed = terminal();
    expect(await restoreCommand(config, [key], unconfirmed.io)).toBe(1);
    expect(unconfirmed.printed()).toMatch(/pass --yes/);
    expect((await pool.query('SELECT count(*)::int AS n FROM notes')).rows[0]).toEqual({ n: 0 });

    const confirmed = terminal();
    expect(await restoreCommand(config, [key, '--yes'], confirmed.io)).toBe(0);
    expect(confirmed.printed()).toContain(`Restored ${key}`);
    expect((await pool.query('SELECT count(*)::int AS n FROM notes')).rows[0]).toEqual({ n: 1001 });
  });

  it('refuses a key that is not in the bucket and changes nothing', async () => {
    const { io, printed } = terminal();
    expect(await restoreCommand(config, ['backups/nope.dump', '--yes'], io)).toBe(1);
    expect(printed()).toContain('There is no backup at backups/nope.dump');
  });

  const redisUrl = inject('redisUrl');
  it.skipIf(!redisUrl)(
    'runs each scheduled time once, however many workers there are',
    async () => {
      const prefix = `${inject('redisPrefix')}-backup-${randomUUID().slice(0, 8)}`;
      const connection = redisUrl ?? '';
      const retry = config.jobs;
      const runs: string[] = [];
      const real = createJobHandlers({
        ...deps,
        jobs: { ...config.jobs, backup: { ...config.jobs.backup, keep: 100 } },
      });
      const handlers: JobHandlers = {
        ...real,
        cleanup: () => Promise.resolve(),
        'resume-work': () => Promise.resolve(),
        backup: async (payload, context) => {
          runs.push(context.jobId);
          await real.backup(payload, context);
        },
      };
      const before = (await listBackups(storage)).length;
      // Two worker processes as in production: each registers the schedule and takes jobs.
      const workers = [1, 2].map(() => {
        const queue = createBullmqQueue({ connection, prefix, retry });
        const worker = startBullmqWorker({ connection, prefix, retry, handlers, queue });
        return { queue, worker };
      });
      let stopped: Promise<void> | undefined;
      const stop = () =>
        (stopped ??= (async () => {
          for (const { queue } of workers) await scheduleBackups(queue, undefined);
          for (const { worker } of workers) await worker.close();
          for (const { queue } of workers) await queue.close();
        })());
      onTestFinished(stop);
      // Every second, so that a few times come round within the test.
      for (const { queue } of workers) await scheduleBackups(queue, '* * * * * *');

      await vi.waitFor(() => expect(runs.length).toBeGreaterThanOrEqual(3), jobWait);
      // Runs under way finish first, so that every run counted has stored its backup.
      await stop();

      expect(new Set(runs).size).toBe(runs.length);
      expect((await listBackups(storage)).length - before).toBe(runs.length);
    },
  );
});
