// The worker as a process on Redis: one cleanup schedule however many run, a graceful stop
// on SIGTERM, and a job that outlives its worker's `kill -9`.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@shipshape/config';
import { jobWait, useTestDatabase } from '@shipshape/db/testing';
import { createBullmqQueue, RESUME_WORK_EVERY_MS } from '@shipshape/queue';
import { storageEnv } from '@shipshape/storage';
import { beforeAll, describe, expect, inject, it, onTestFinished, vi } from 'vitest';
import { createJobHandlers } from '@shipshape/jobs';
import { startWorker, type RunningWorker } from '../src/worker';
import { inspectQueue } from './bullmq';
import {
  countingHandlers,
  createUser,
  fileRow,
  testDeps,
  testEnv,
  testImage,
  uploadFile,
  waitForStatus,
} from '@shipshape/jobs/testing';

const database = useTestDatabase();

const deps = testDeps();
const redisUrl = inject('redisUrl') ?? '';
const basePrefix = `${inject('redisPrefix')}-worker-process`;
if (!redisUrl) console.warn('No Redis: worker-process.test.ts is skipped.');

// tsx as a loader in this one process, not its CLI: the CLI runs the script in a child of
// its own, and a SIGKILL (which nobody can relay) would leave that child running.
const tsxLoader = import.meta.resolve('tsx');
const slowWorker = fileURLToPath(new URL('fixtures/slow-worker.ts', import.meta.url));

/** What a deployment would set: JSON logs (APP_ENV=staging), one object per line on stdout. */
function workerEnv(prefix: string): NodeJS.ProcessEnv {
  const s3 = inject('s3');
  return {
    PATH: process.env.PATH,
    APP_ENV: 'staging',
    SESSION_SECRET: 'worker-test-secret-that-is-long-enough-0123456789',
    PUBLIC_URL: 'https://shipshape.example.com',
    SMTP_URL: 'smtp://127.0.0.1:1',
    MAIL_FROM: 'no-reply@shipshape.example.com',
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    ...storageEnv(s3),
    ...testEnv,
  };
}

function startSlowWorker(prefix: string, delayMs: number) {
  const child = spawn(process.execPath, ['--import', tsxLoader, slowWorker, String(delayMs)], {
    env: workerEnv(prefix),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const logs: { msg?: string; jobId?: string; job?: string }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    logs.push(line.startsWith('{') ? JSON.parse(line) : { msg: line });
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  return {
    child,
    logs,
    /** Time-boxed; the child's stderr is in the error if it never comes. */
    waitForLog(msg: string, timeout = 15_000) {
      return vi.waitFor(
        () => {
          const entry = logs.find((log) => log.msg === msg);
          if (!entry) throw new Error(`No "${msg}" log yet. stderr:\n${stderr}`);
          return entry;
        },
        { timeout, interval: 20 },
      );
    },
    async waitForExit(timeout = 15_000) {
      const timer = new Promise<never>((_, reject) =>
        setTimeout(() => {
          reject(new Error(`The worker did not exit within ${timeout} ms`));
        }, timeout).unref(),
      );
      const [code, signal] = await Promise.race([exited, timer]);
      return { code, signal };
    },
  };
}

describe.skipIf(!redisUrl)('the worker process', () => {
  let userId: string;
  beforeAll(async () => {
    userId = await createUser(deps);
  });

  async function enqueueImage(prefix: string) {
    const file = await uploadFile(deps, userId, {
      bytes: await testImage('png'),
      contentType: 'image/png',
    });
    const queue = createBullmqQueue({ connection: redisUrl, prefix, retry: deps.jobs });
    await queue.enqueue('process-file', { fileId: file.id }, { jobId: `process-${file.id}` });
    await queue.close();
    return { file, jobId: `process-${file.id}` };
  }

  it('registers one schedule per recurring job however many workers start', async () => {
    const prefix = `${basePrefix}-schedule`;
    const config = loadConfig({ ...testEnv, REDIS_URL: redisUrl, REDIS_PREFIX: prefix });
    const { handlers } = countingHandlers(createJobHandlers(deps));
    const workers: RunningWorker[] = await Promise.all(
      [1, 2, 3].map(() => startWorker({ ...deps, config, handlers })),
    );
    const inspector = inspectQueue(redisUrl, prefix);
    try {
      const schedulers = await inspector.queue.getJobSchedulers();
      expect(schedulers.map(({ name, every, pattern }) => ({ name, every, pattern }))).toEqual(
        expect.arrayContaining([
          { name: 'cleanup', every: config.jobs.cleanupEveryMs },
          { name: 'resume-work', every: RESUME_WORK_EVERY_MS },
          { name: 'backup', pattern: config.jobs.backup.schedule },
        ]),
      );
      expect(schedulers).toHaveLength(3);
    } finally {
      await Promise.all(workers.map((worker) => worker.close()));
      await inspector.close();
    }
  });

  it('finishes the running job on SIGTERM, then exits with status 0', async () => {
    const prefix = `${basePrefix}-sigterm`;
    const worker = startSlowWorker(prefix, 1500);
    const { file, jobId } = await enqueueImage(prefix);
    await worker.waitForLog('Holding the job');
    expect((await fileRow(deps, file.id))?.status).toBe('uploaded');

    worker.child.kill('SIGTERM');

    expect(await worker.waitForExit()).toEqual({ code: 0, signal: null });
    expect((await fileRow(deps, file.id))?.status).toBe('ready');
    const jobLogs = worker.logs.filter((log) => log.jobId === jobId).map((log) => log.msg);
    expect(jobLogs).toEqual(['Holding the job', 'Job started', 'Job finished']);
    const inspector = inspectQueue(redisUrl, prefix);
    expect(await inspector.queue.getJobState(jobId)).toBe('completed');
    await inspector.close();
  });

  it('gives the job of a killed worker to the next worker, which completes it', async () => {
    const prefix = `${basePrefix}-sigkill`;
    const dying = startSlowWorker(prefix, 60_000);
    const { file, jobId } = await enqueueImage(prefix);
    await dying.waitForLog('Holding the job');

    dying.child.kill('SIGKILL');
    expect(await dying.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' });
    const inspector = inspectQueue(redisUrl, prefix);
    // Still 'active' in Redis: nobody knows yet that its worker is gone.
    expect(await inspector.queue.getJobState(jobId)).toBe('active');

    const config = loadConfig({ ...testEnv, REDIS_URL: redisUrl, REDIS_PREFIX: prefix });
    const { handlers } = countingHandlers(createJobHandlers(deps));
    const next = await startWorker({
      ...deps,
      config,
      handlers,
      bullmq: { stalledInterval: 300, lockDuration: 1000 },
    });
    try {
      // The dead worker's lock expires after 1 s; the next stalled check puts the job back.
      await waitForStatus(deps, file.id, 'ready', 15_000);
      await vi.waitFor(async () => {
        expect(await inspector.queue.getJobState(jobId)).toBe('completed');
      }, jobWait);
    } finally {
      await next.close();
      await inspector.close();
    }
  });
});
