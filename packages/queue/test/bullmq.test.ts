// BullMQ-only behaviour: what needs Redis and more than one process to mean anything.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  QUEUE_NAME,
  createBullmqQueue,
  startBullmqWorker,
  type JobQueue,
  type RunningWorker,
} from '@shipshape/queue';
import {
  deferred,
  handlers,
  recordingLogger,
  redisUrl,
  retry,
  sleep,
  sync,
  uniquePrefix,
} from './helpers';

const redisReachable = redisUrl !== '';
if (!redisReachable) {
  console.warn(`No Redis: the BullMQ-only tests are skipped.`);
}

describe.skipIf(!redisReachable)('BullMQ queue and worker', () => {
  let prefix: string;
  let redis: Redis;
  let inspector: Queue;

  // Each test gets a prefix of its own and a queue to look into, released when it finishes.
  beforeEach(() => {
    prefix = uniquePrefix();
    redis = new Redis(redisUrl);
    inspector = new Queue(QUEUE_NAME, { connection: redis, prefix });
    const [ownRedis, ownInspector] = [redis, inspector];
    onTestFinished(async () => {
      await ownInspector.close();
      await ownRedis.quit();
    });
  });

  function queue(): JobQueue {
    const created = createBullmqQueue({ connection: redisUrl, prefix, retry });
    onTestFinished(() => created.close());
    return created;
  }

  function worker(
    options: Omit<Parameters<typeof startBullmqWorker>[0], 'connection' | 'prefix' | 'retry'>,
  ): RunningWorker {
    const started = startBullmqWorker({ connection: redisUrl, prefix, retry, ...options });
    onTestFinished(() => started.close());
    return started;
  }

  it('keeps one cleanup scheduler however many processes schedule it', async () => {
    await Promise.all(
      [queue(), queue(), queue()].map((q) => q.schedule('cleanup', {}, { every: 60_000 })),
    );

    const schedulers = await inspector.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ key: 'cleanup', name: 'cleanup', every: 60_000 });
    // The scheduler queues its next run (the first one runs at once): one job, not three.
    expect(await inspector.getJobCountByTypes('waiting', 'delayed')).toBe(1);
  });

  it('lets a closing worker finish the job it is running', async () => {
    const started = deferred();
    let finished = false;
    const running = worker({
      handlers: handlers({
        'export-data': async () => {
          started.resolve();
          await sleep(500);
          finished = true;
        },
      }),
    });
    await queue().enqueue('export-data', { exportId: randomUUID() }, { jobId: 'slow-export' });
    await started.promise;

    await running.close();
    expect(finished).toBe(true);
    expect(await (await inspector.getJob('slow-export'))?.getState()).toBe('completed');
  });

  it('fails a job whose payload does not validate in the worker, without retrying it', async () => {
    let runs = 0;
    const { logger, entries } = recordingLogger();
    worker({
      logger,
      handlers: handlers({
        'process-file': sync(() => {
          runs += 1;
        }),
      }),
    });
    // Written straight to Redis, as an older or newer app version might have.
    await inspector.add('process-file', { fileId: 'not-a-uuid' }, { jobId: 'bad', attempts: 3 });

    await vi.waitFor(async () => expect(await inspector.getJobState('bad')).toBe('failed'), 5000);
    const job = await inspector.getJob('bad');
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toContain('Invalid payload for "process-file"');
    expect(runs).toBe(0);
    expect(entries.map((e) => e.level)).toEqual(['error']);
  });

  it('gives the job of a killed worker to another worker', async () => {
    const fileId = randomUUID();
    await queue().enqueue('process-file', { fileId }, { jobId: 'orphan' });

    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('fixtures/stuck-worker.ts', import.meta.url)),
        redisUrl,
        prefix,
      ],
      {
        cwd: fileURLToPath(new URL('../../..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const [output] = (await once(child.stdout, 'data')) as [Buffer];
      expect(output.toString()).toContain('started');
    } finally {
      child.kill('SIGKILL');
    }
    await once(child, 'exit');
    expect(await inspector.getJobState('orphan')).toBe('active');

    const ran = deferred<{ fileId: string; attempt: number }>();
    worker({
      handlers: handlers({
        'process-file': sync((payload, { attempt }) => {
          ran.resolve({ fileId: payload.fileId, attempt });
        }),
      }),
      lockDuration: 1000,
      stalledInterval: 300,
    });
    // The dead worker's lock expires after 1 s; the next stalled check puts the job back.
    expect(await ran.promise).toEqual({ fileId, attempt: 1 });
    await vi.waitFor(async () => expect(await inspector.getJobState('orphan')).toBe('completed'));
  });

  it('fails its readiness check at once when Redis is unreachable', async () => {
    const unreachable = createBullmqQueue({ connection: 'redis://127.0.0.1:1', prefix, retry });
    onTestFinished(() => unreachable.close());
    await expect(unreachable.check()).rejects.toThrow('Redis is not connected');
  });
});
