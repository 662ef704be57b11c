// The commands people run: `pnpm db:backup` and `pnpm db:restore <key>` from a checkout, and
// `node dist/backup.js` / `node dist/restore.js <key>` in the worker image. They run the
// job's own code and print what they do as plain lines.
import { createInterface } from 'node:readline/promises';
import type { Config } from '@shipshape/config';
import { connectDatabase } from '@shipshape/db';
import type { QueueLogger } from '@shipshape/queue';
import { createStorage, type Storage } from '@shipshape/storage';
import { backupAndPrune, listBackups } from './backup';
import { describeDatabase } from './backup-postgres';
import { BackupNotFoundError, restoreDatabase } from './backup-restore';
import { shortCause } from './failure';

interface Terminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

const processTerminal: Terminal = { input: process.stdin, output: process.stdout };

/** `pnpm db:backup`: one backup now, then the same pruning as the scheduled job. */
export async function backupCommand(
  config: Config,
  terminal: Terminal = processTerminal,
): Promise<number> {
  const print = printer(terminal);
  const databaseUrl = requireDatabaseUrl(config, print);
  if (!databaseUrl) return 1;
  const { pool, db } = connectDatabase(databaseUrl, { max: 1 });
  const storage = createStorage(config.s3);
  try {
    print(`Backing up ${describeDatabase(databaseUrl)} to bucket ${config.s3.bucket}`);
    const result = await backupAndPrune({
      db,
      databaseUrl,
      storage,
      log: lineLogger(print),
      keep: config.jobs.backup.keep,
    });
    print(
      `Stored ${result.key} (${formatBytes(result.bytes)} in ${seconds(result.durationMs)}); ` +
        `${result.deleted.length} older backup(s) deleted, keeping ${config.jobs.backup.keep}`,
    );
    return 0;
  } catch (error) {
    print(`Backup failed: ${shortCause(error)}`);
    return 1;
  } finally {
    await pool.end();
    storage.close();
  }
}

/**
 * `pnpm db:restore <key> [--yes]`: replaces the database's tables with the backup's. Without
 * a key it lists the backups and stops; without --yes it asks first, and refuses to when
 * nobody is there to answer.
 */
export async function restoreCommand(
  config: Config,
  args: string[],
  terminal: Terminal = processTerminal,
): Promise<number> {
  const print = printer(terminal);
  const databaseUrl = requireDatabaseUrl(config, print);
  if (!databaseUrl) return 1;
  const yes = args.includes('--yes');
  const [key, ...extra] = args.filter((arg) => arg !== '--yes');
  const storage = createStorage(config.s3);
  try {
    if (!key || extra.length > 0 || key.startsWith('-')) {
      print('Usage: pnpm db:restore <key> [--yes]   (in the worker image: node dist/restore.js)');
      await printBackups(storage, print);
      return 2;
    }
    const target = describeDatabase(databaseUrl);
    if (!yes && !(await confirmed(terminal, `Replace every table of ${target} with ${key}?`))) {
      print('Nothing restored.');
      return 1;
    }
    print(`Restoring ${key} into ${target}`);
    const result = await restoreDatabase({ databaseUrl, storage, key, log: lineLogger(print) });
    print(
      `Restored ${result.key} (${formatBytes(result.bytes)}) into ${target} in ${seconds(result.durationMs)}`,
    );
    return 0;
  } catch (error) {
    print(`Restore failed: ${shortCause(error)}`);
    if (error instanceof BackupNotFoundError) await printBackups(storage, print);
    else print('The restore runs in one transaction: the database is as it was before.');
    return 1;
  } finally {
    storage.close();
  }
}

type Print = (line: string) => void;

function printer({ output }: Terminal): Print {
  return (line) => output.write(`${line}\n`);
}

function requireDatabaseUrl(config: Config, print: Print): string | undefined {
  if (!config.databaseUrl) {
    print('DATABASE_URL is not set: backups and restores need a Postgres server.');
  }
  return config.databaseUrl;
}

async function printBackups(storage: Storage, print: Print): Promise<void> {
  const backups = await listBackups(storage);
  if (backups.length === 0) {
    print('There are no backups in the bucket.');
    return;
  }
  print('Backups in the bucket, newest last:');
  for (const { key, size } of backups) print(`  ${key}  ${formatBytes(size)}`);
}

async function confirmed(terminal: Terminal, question: string): Promise<boolean> {
  if (!terminal.input.isTTY) {
    printer(terminal)(`${question} Nobody here to answer: pass --yes to restore.`);
    return false;
  }
  const readline = createInterface({ input: terminal.input, output: terminal.output });
  try {
    const answer = await readline.question(`${question} Type yes to go on: `);
    return answer.trim() === 'yes';
  } finally {
    readline.close();
  }
}

/** The job's progress lines, as text: the message, then its details. */
function lineLogger(print: Print): QueueLogger {
  const line = (details: object, message: string) => {
    const fields = Object.entries(details)
      .map(([name, value]) => `${name}=${Array.isArray(value) ? value.join(',') : String(value)}`)
      .join(' ');
    print(fields ? `${message}: ${fields}` : message);
  };
  return { info: line, warn: line, error: line };
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
