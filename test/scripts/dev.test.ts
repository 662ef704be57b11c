// `pnpm dev` stopped by Ctrl-C as a terminal sends it: SIGINT to the whole foreground process
// group (pnpm, the dev script, and everything they started in that group). Every child finishes
// its own graceful stop, a job under way included, one line says it stopped, and the exit is 0.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { loadConfig } from '@shipshape/config';
import { connectDatabase } from '@shipshape/db';
import { createTestDatabase } from '@shipshape/db/testing';
import { freePort, waitUntilReady } from '@shipshape/lifecycle';
import { describe, expect, inject, it, onTestFinished, vi } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
// The job test holds a lock in a database of its own, which the embedded one cannot do without
// stopping every other connection: it needs a Postgres server.
const postgresServer = loadConfig().databaseUrl;
if (!postgresServer) console.warn('No DATABASE_URL: the Ctrl-C-during-a-job test is skipped.');
const redisUrl = inject('redisUrl');

/** `pnpm dev` in a process group of its own, as a terminal runs a command, on a free port. */
async function startDev(settings: Record<string, string>) {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'shipshape-dev-test-'));
  const pnpm = spawn('pnpm', ['dev'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      APP_ENV: 'local',
      PORT: String(port),
      DATA_DIR: dataDir,
      // Empty means unset, and keeps a developer's .env from filling them in.
      DATABASE_URL: '',
      REDIS_URL: '',
      S3_ENDPOINT: '',
      SMTP_URL: '',
      SMTP_HOST: '',
      ...settings,
    },
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  pnpm.stdout.on('data', collect);
  pnpm.stderr.on('data', collect);
  const exited = once(pnpm, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  onTestFinished(async () => {
    // After a failure: stopped as a closing terminal would, so nothing it started lives on.
    if (pnpm.exitCode === null && pnpm.signalCode === null) {
      process.kill(-(pnpm.pid ?? 0), 'SIGHUP');
      await Promise.race([exited, sleep(20_000)]);
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  const url = `http://127.0.0.1:${port}`;
  const failedToStart = exited.then(() => {
    throw new Error(`pnpm dev exited before answering:\n${output}`);
  });
  await Promise.race([waitUntilReady(`${url}/healthz`, 45_000), failedToStart]);
  void failedToStart.catch(() => {});

  return {
    url,
    /** Everything printed, without colours, one entry per line. */
    lines: () => stripVTControlCharacters(output).split('\n'),
    /** Ctrl-C: SIGINT to every process in the group, as the terminal sends it. */
    pressCtrlC: () => process.kill(-(pnpm.pid ?? 0), 'SIGINT'),
    async waitForExit() {
      const timer = new Promise<never>((_, reject) =>
        setTimeout(() => {
          reject(new Error(`pnpm dev did not exit within 30 s:\n${output}`));
        }, 30_000).unref(),
      );
      const [code, signal] = await Promise.race([exited, timer]);
      return { code, signal };
    },
  };
}

function linesWith(lines: string[], text: string) {
  return lines.filter((line) => line.includes(text));
}

async function signUp(url: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `dev-${Date.now()}@example.com`,
      password: 'a long enough password',
    }),
  });
  expect(res.status).toBe(201);
  // The session cookie; a device cookie comes with it.
  const session = res.headers.getSetCookie().find((cookie) => cookie.startsWith('shipshape.sid='));
  return (session ?? '').split(';')[0] ?? '';
}

describe('Ctrl-C in pnpm dev', () => {
  it.skipIf(!postgresServer)(
    'lets the API finish the export it is running, then stops everything and exits 0',
    async () => {
      const database = await createTestDatabase(postgresServer);
      const { pool } = connectDatabase(database.url, { max: 2 });
      onTestFinished(async () => {
        await pool.end();
        await database.drop();
      });
      // No Redis: the API runs the jobs itself, as on a newcomer's laptop.
      const dev = await startDev({ DATABASE_URL: database.url });
      const cookie = await signUp(dev.url);

      // The export job reads the user's notes: while this lock is held, it waits there.
      const lock = await pool.connect();
      let locked = true;
      const unlock = async () => {
        if (!locked) return;
        locked = false;
        await lock.query('COMMIT');
        lock.release();
      };
      onTestFinished(unlock);
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE notes IN ACCESS EXCLUSIVE MODE');
      const res = await fetch(`${dev.url}/api/exports`, { method: 'POST', headers: { cookie } });
      expect(res.status).toBe(202);
      const { id: exportId } = (await res.json()) as { id: string };
      await vi.waitFor(
        async () => {
          const { rows } = await pool.query<{ status: string }>(
            'SELECT status FROM exports WHERE id = $1',
            [exportId],
          );
          expect(rows[0]?.status).toBe('running');
          const waiting = await pool.query(
            "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          );
          expect(waiting.rowCount).toBe(1);
        },
        { timeout: 10_000, interval: 50 },
      );

      dev.pressCtrlC();
      // The API is stopping while its job still waits; then the job may go on.
      await vi.waitFor(
        () => {
          const apiLines = linesWith(dev.lines(), '(api)');
          expect(linesWith(apiLines, ' received')).not.toEqual([]);
        },
        { timeout: 10_000 },
      );
      await unlock();

      expect(await dev.waitForExit()).toEqual({ code: 0, signal: null });
      const lines = dev.lines();
      expect(linesWith(lines, 'Force killing')).toEqual([]);
      expect(linesWith(lines, 'ELIFECYCLE')).toEqual([]);
      expect(linesWith(lines, 'received again')).toEqual([]);
      expect(linesWith(lines, 'API stopped')).toHaveLength(1);
      expect(linesWith(lines, 'Shipshape stopped')).toHaveLength(1);
      const { rows } = await pool.query<{ status: string }>(
        'SELECT status FROM exports WHERE id = $1',
        [exportId],
      );
      expect(rows[0]?.status).toBe('ready');
    },
    60_000,
  );

  it('stops the API, the worker and the embedded services, and exits 0', async () => {
    // Everything embedded, and the worker process too when there is a Redis.
    const dev = await startDev(
      redisUrl ? { REDIS_URL: redisUrl, REDIS_PREFIX: `${inject('redisPrefix')}-dev` } : {},
    );
    // The API answers before the worker process is up on a busy machine; a person presses
    // Ctrl-C after both have said they run.
    if (redisUrl) {
      await vi.waitFor(() => expect(linesWith(dev.lines(), 'Worker running')).toHaveLength(1), {
        timeout: 30_000,
      });
    }
    // The banner says where the mail the app sends can be read, and that page answers.
    const [mailLine] = await vi.waitFor(() => {
      const found = linesWith(dev.lines(), 'Mail it sends: http://localhost:');
      expect(found).toHaveLength(1);
      return found;
    });
    const mailPage = (mailLine ?? '')
      .split('Mail it sends: ')[1]
      ?.trim()
      .replace('localhost', '127.0.0.1');
    expect((await fetch(`${mailPage}/readyz`)).status).toBe(200);

    dev.pressCtrlC();

    expect(await dev.waitForExit()).toEqual({ code: 0, signal: null });
    const lines = dev.lines();
    expect(linesWith(lines, 'Force killing')).toEqual([]);
    expect(linesWith(lines, 'ELIFECYCLE')).toEqual([]);
    expect(linesWith(lines, 'API stopped')).toHaveLength(1);
    expect(linesWith(lines, 'Worker stopped')).toHaveLength(redisUrl ? 1 : 0);
    expect(linesWith(lines, 'Shipshape stopped')).toHaveLength(1);
    // And it is the last line: nothing was left running to print after it.
    expect(lines.filter(Boolean).at(-1)).toContain('Shipshape stopped');
    await expect(fetch(`${mailPage}/readyz`)).rejects.toThrow();
  }, 60_000);
});
