// A Postgres server of the fault suite's own, on a free port, that a test may stop and start
// again: never the shared one on 5432 that every other test and developer uses. initdb refuses
// to run as root, so when the suite runs as root the server runs as the `postgres` user, in a
// temporary folder that user owns.
import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@shipshape/lifecycle';

const run = promisify(execFile);

/** Debian's layout (postgresql-15); POSTGRES_BIN points elsewhere. */
const bin = process.env.POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin';

export interface OwnPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres: a server URL for createEmptyDatabase. */
  url: string;
  port: number;
  /** Stops the server (fast shutdown: open sessions are ended), data kept. */
  stop(): Promise<void>;
  /** Starts it again on the same port and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  remove(): Promise<void>;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'shipshape-pg-'));
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }

  /** Runs a Postgres binary, as the postgres user when this process is root. */
  async function pg(command: string, args: string[]): Promise<void> {
    const quoted = [join(bin, command), ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`);
    if (asRoot) {
      await run('su', ['postgres', '-s', '/bin/sh', '-c', quoted.join(' ')], { cwd: dir });
    } else {
      await run(join(bin, command), args, { cwd: dir });
    }
  }

  await pg('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  // No fsync: the data only has to survive a clean stop, and the machine's disk is shared.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  let running = false;

  async function start() {
    if (running) return;
    await pg('pg_ctl', ['-D', dataDir, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
    running = true;
  }
  async function stop() {
    if (!running) return;
    running = false;
    await pg('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  }

  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    async remove() {
      await stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
