// A Redis server of a test's own, on a free port, that the test may stop, restart empty or
// freeze: never the shared one that every other test and developer uses.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@shipshape/lifecycle';

const run = promisify(execFile);

export interface OwnRedis {
  url: string;
  /** Stops the server. With `keepData`, it saves first, and `start` brings the data back. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** Starts it again on the same port (if it is stopped). */
  start(): Promise<void>;
  /** SIGSTOP: the server keeps its connections open and answers nothing, as a hung host would. */
  freeze(): void;
  /** SIGCONT: it answers again. */
  thaw(): void;
  /** Stops it for good and removes its directory. */
  remove(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'shipshape-redis-'));
  const port = await freePort();
  const pidFile = join(dir, 'redis.pid');
  let pid: number | undefined;

  async function start() {
    if (pid !== undefined) return;
    // No snapshots and no append-only file: a restart comes back empty unless `stop` saved.
    await run('redis-server', [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      ...['--daemonize', 'yes', '--pidfile', pidFile, '--dir', dir],
    ]);
    await until(async () => (await cli('ping')) === 'PONG');
    pid = Number(await readFile(pidFile, 'utf8'));
  }

  async function cli(...args: string[]): Promise<string | undefined> {
    try {
      const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 2000 });
      return stdout.trim();
    } catch {
      return undefined;
    }
  }

  async function stop({ keepData = false } = {}) {
    if (pid === undefined) return;
    const stopped = pid;
    pid = undefined;
    if (keepData) await cli('save');
    process.kill(stopped, 'SIGCONT');
    process.kill(stopped, 'SIGTERM');
    await until(() => Promise.resolve(!isAlive(stopped)));
    if (!keepData) await rm(join(dir, 'dump.rdb'), { force: true });
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    freeze: () => pid !== undefined && process.kill(pid, 'SIGSTOP'),
    thaw: () => pid !== undefined && process.kill(pid, 'SIGCONT'),
    async remove() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('The Redis server did not get there in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
