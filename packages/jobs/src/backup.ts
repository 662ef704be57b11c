// The 'backup' job, run on a schedule by the worker (BACKUP_SCHEDULE), and `pnpm db:backup`:
// pg_dump's output streamed into the bucket under backups/, then the oldest beyond BACKUP_KEEP
// deleted. Safe to run twice: each run writes a key of its own, and an object appears only
// once its dump has succeeded.
import { PassThrough } from 'node:stream';
import type { Database } from '@shipshape/db';
import { OutageError, type JobHandlers, type QueueLogger } from '@shipshape/queue';
import { isStorageUnavailable, type Storage } from '@shipshape/storage';
import { runPgTool } from './backup-postgres';
import { databaseNow } from './clock';
import type { JobDeps } from './deps';
import { permanentFailure, shortCause } from './failure';

export const BACKUP_PREFIX = 'backups/';

// backups/2026-11-24T03-00-00.123Z.dump: ISO time without colons, so keys sort by time and
// a downloaded file is a valid name everywhere. Other keys under backups/ are never touched.
const backupKeyPattern = /^backups\/\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z\.dump$/;

export function backupKey(at: Date): string {
  return `${BACKUP_PREFIX}${at.toISOString().replaceAll(':', '-')}.dump`;
}

// pg_dump's custom format: compressed, restored by pg_restore with --clean, and pg_restore
// can list an archive's contents without a database (a check that a backup is whole).
const DUMP_ARGS = [
  '--format=custom',
  // A migration holding a table's exclusive lock fails the run (retried) rather than
  // leaving it waiting for as long as the migration takes.
  '--lock-wait-timeout=60000',
];

// How often a long backup logs how far it got.
const PROGRESS_EVERY_MS = 10_000;

export interface BackupResult {
  key: string;
  bytes: number;
  durationMs: number;
}

interface BackupOptions {
  db: Database;
  databaseUrl: string;
  storage: Storage;
  log: QueueLogger;
}

/**
 * Streams a dump of the database into the bucket: memory holds a few upload parts, whatever
 * the database's size, and nothing is written to disk. The key's time is the database's.
 */
export async function backupDatabase({
  db,
  databaseUrl,
  storage,
  log,
}: BackupOptions): Promise<BackupResult> {
  const started = performance.now();
  const key = backupKey(await databaseNow(db));
  log.info({ key }, 'Backup started');

  const dump = runPgTool('pg_dump', DUMP_ARGS, databaseUrl);
  // The upload completes when its body ends. The body ends only once pg_dump has exited with
  // success: a dump that fails halfway never becomes an object, however much was sent.
  const body = new PassThrough();
  dump.stdout.pipe(body, { end: false });
  let dumpError: unknown;
  const dumped = dump.done.then(
    () => body.end(),
    (error: unknown) => {
      dumpError = error;
      body.destroy(error instanceof Error ? error : new Error(String(error)));
    },
  );

  let lastLog = performance.now();
  try {
    const { size } = await storage.putStream(key, body, {
      contentType: 'application/octet-stream',
      onProgress(bytes) {
        if (performance.now() - lastLog < PROGRESS_EVERY_MS) return;
        lastLog = performance.now();
        log.info({ key, bytes }, 'Backup in progress');
      },
    });
    return { key, bytes: size, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    dump.kill();
    await dumped;
    // pg_dump's own words say more than the upload's "stream was destroyed".
    throw dumpError ?? error;
  }
}

/** The backups in the bucket, oldest first. */
export async function listBackups(storage: Storage): Promise<{ key: string; size: number }[]> {
  const backups: { key: string; size: number }[] = [];
  for await (const { key, size } of storage.list(BACKUP_PREFIX)) {
    if (backupKeyPattern.test(key)) backups.push({ key, size });
  }
  return backups.sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * Deletes all but the newest `keep` backups, and returns their keys. A count, not an age:
 * when backups keep failing, the last good ones stay however long it takes to notice.
 */
export async function pruneBackups(storage: Storage, keep: number): Promise<string[]> {
  const backups = await listBackups(storage);
  const old = backups.slice(0, Math.max(0, backups.length - keep)).map(({ key }) => key);
  await storage.deleteMany(old);
  return old;
}

/** One backup followed by the pruning: what the job and `pnpm db:backup` both run. */
export async function backupAndPrune(
  options: BackupOptions & { keep: number },
): Promise<BackupResult & { deleted: string[] }> {
  const result = await backupDatabase(options);
  // Only after a backup succeeded: a failing one must not cost an older one.
  const deleted = await pruneBackups(options.storage, options.keep);
  if (deleted.length > 0) options.log.info({ deleted }, 'Deleted old backups');
  return { ...result, deleted };
}

export function backup({ db, databaseUrl, storage, jobs }: JobDeps): JobHandlers['backup'] {
  return async (_payload, context) => {
    if (!databaseUrl) throw permanentFailure('Backups need DATABASE_URL');
    try {
      const { key, bytes, durationMs, deleted } = await backupAndPrune({
        db,
        databaseUrl,
        storage,
        log: context.log,
        keep: jobs.backup.keep,
      });
      context.log.info({ key, bytes, durationMs, deleted: deleted.length }, 'Backup finished');
    } catch (error) {
      // Storage away is retried for minutes, as for every job (ADR 017).
      if (isStorageUnavailable(error)) throw new OutageError(shortCause(error), { cause: error });
      throw error;
    }
  };
}
