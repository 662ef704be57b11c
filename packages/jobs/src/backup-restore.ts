// `pnpm db:restore <key>`: a backup from the bucket streamed into pg_restore. People run it,
// never a job: it replaces the database's tables with the backup's.
import { pipeline } from 'node:stream/promises';
import type { QueueLogger } from '@shipshape/queue';
import type { Storage } from '@shipshape/storage';
import { runPgTool } from './backup-postgres';

const RESTORE_ARGS = [
  // Drops each object of the backup before creating it again, so the database may be the
  // one backed up (rows deleted since come back, rows added since go) or an empty one.
  '--clean',
  '--if-exists',
  // All or nothing: a restore that fails halfway leaves the database as it was.
  '--single-transaction',
  // Objects belong to whoever restores, which need not be the role that owned them when the
  // backup was made (another server, a managed database's admin role).
  '--no-owner',
  '--no-acl',
];

export class BackupNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`There is no backup at ${key}`);
    this.name = 'BackupNotFoundError';
  }
}

export interface RestoreResult {
  key: string;
  bytes: number;
  durationMs: number;
}

export async function restoreDatabase({
  databaseUrl,
  storage,
  key,
  log,
}: {
  databaseUrl: string;
  storage: Storage;
  key: string;
  log: QueueLogger;
}): Promise<RestoreResult> {
  const started = performance.now();
  const object = await storage.getStream(key);
  if (!object) throw new BackupNotFoundError(key);
  log.info({ key, bytes: object.contentLength }, 'Restore started');

  const restore = runPgTool('pg_restore', RESTORE_ARGS, databaseUrl);
  let bytes = 0;
  object.body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  const [sent, restored] = await Promise.allSettled([
    pipeline(object.body, restore.stdin),
    restore.done,
  ]);
  // pg_restore's own error explains a broken pipe; the download's explains the rest.
  if (restored.status === 'rejected') throw restored.reason;
  if (sent.status === 'rejected') throw sent.reason;
  return { key, bytes, durationMs: Math.round(performance.now() - started) };
}
