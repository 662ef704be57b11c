// pg_dump and pg_restore as child processes, for backups and restores. Their version must be
// the server's major or newer, which is why the worker image carries its own (see Dockerfile).
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { UnrecoverableError } from '@shipshape/queue';

export type PgTool = 'pg_dump' | 'pg_restore';

export interface PgToolRun {
  stdin: Writable;
  stdout: Readable;
  /** Resolves when the tool exits with 0; rejects with its last words on stderr otherwise. */
  done: Promise<void>;
  kill(): void;
}

// Enough of stderr to explain a failure; a tool that prints more is cut from the front.
const STDERR_TAIL = 4_000;

/**
 * Starts `tool` against `databaseUrl`. The password goes through the environment, not the
 * command line, where `ps` would show it to anyone on the machine.
 */
export function runPgTool(tool: PgTool, args: string[], databaseUrl: string): PgToolRun {
  const { dbname, password } = splitPassword(databaseUrl);
  const child = spawn(tool, [...args, `--dbname=${dbname}`], {
    env: { ...process.env, ...(password && { PGPASSWORD: password }) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  // A tool that exits early closes its stdin under our feet; `done` says why, not EPIPE.
  child.stdin.on('error', () => undefined);

  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new UnrecoverableError(
              `${tool} is not installed here: backups need the PostgreSQL client tools (the worker image has them)`,
            )
          : error,
      );
    });
    child.once('close', (code, signal) => {
      if (code === 0) {
        resolve();
        return;
      }
      const how = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
      const message = `${tool} ${how}: ${stderr.trim() || 'no message'}`;
      // A client older than the server refuses to dump it: retrying cannot help.
      reject(
        stderr.includes('server version mismatch')
          ? new UnrecoverableError(message)
          : new Error(message),
      );
    });
  });
  return { stdin: child.stdin, stdout: child.stdout, done, kill: () => child.kill() };
}

function splitPassword(databaseUrl: string): { dbname: string; password: string } {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = '';
  return { dbname: url.toString(), password };
}

/** The database's address without credentials, for messages. */
export function describeDatabase(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `${decodeURIComponent(url.host)}${url.pathname}`;
}
