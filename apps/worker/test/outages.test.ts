// The worker when what it depends on goes away for a while, with servers of the test's own:
// a Redis restarted empty (the schedules come back by themselves) and an S3 stopped for a few
// seconds (files and exports wait for it rather than failing for good).
import { loadConfig } from '@shipshape/config';
import { dataExports, singleRow } from '@shipshape/db';
import { useTestDatabase } from '@shipshape/db/testing';
import { createInProcessQueue, processFileJobId } from '@shipshape/queue';
import { startOwnRedis } from '@shipshape/queue/testing';
import { createStorage } from '@shipshape/storage';
import { startRestartableS3 } from '@shipshape/storage/embedded';
import { eq } from 'drizzle-orm';
import { describe, expect, inject, it, onTestFinished, vi } from 'vitest';
import { createJobHandlers, type JobDeps } from '@shipshape/jobs';
import { startWorker } from '../src/worker';
import { inspectQueue } from './bullmq';
import {
  countingHandlers,
  createUser,
  sleep,
  testDeps,
  testEnv,
  testImage,
  uploadFile,
  waitForStatus,
} from '@shipshape/jobs/testing';

useTestDatabase();

const deps = testDeps();

describe('when Redis restarts without its data', () => {
  it('registers the recurring jobs again by itself, without a worker restart', async () => {
    const redis = await startOwnRedis();
    onTestFinished(() => redis.remove());
    const prefix = `${inject('redisPrefix')}-restart`;
    const config = loadConfig({ ...testEnv, REDIS_URL: redis.url, REDIS_PREFIX: prefix });
    const worker = await startWorker({
      ...deps,
      config,
      handlers: countingHandlers(createJobHandlers(deps)).handlers,
    });
    onTestFinished(() => worker.close());
    const inspector = inspectQueue(redis.url, prefix);
    onTestFinished(() => inspector.close());
    const schedules = async () =>
      (await inspector.queue.getJobSchedulers()).map((scheduler) => scheduler.name).sort();
    expect(await schedules()).toEqual(['backup', 'cleanup', 'resume-work']);

    await redis.stop();
    await redis.start();

    await vi.waitFor(
      async () => expect(await schedules()).toEqual(['backup', 'cleanup', 'resume-work']),
      {
        timeout: 15_000,
        interval: 200,
      },
    );
  });
});

describe('when S3 is down for a few seconds', () => {
  /** An S3 of this test's own that it can stop and start again on the same port, objects kept. */
  async function ownS3() {
    const server = await startRestartableS3();
    const storage = createStorage({ ...inject('s3'), ...server.options });
    await storage.ensureBucket();
    onTestFinished(async () => {
      storage.close();
      await server.remove();
    });
    return { storage, stop: () => server.stop(), start: () => server.start() };
  }

  /** Real handlers on the test's S3, the configured three attempts, a short backoff. */
  function queueOn(jobDeps: JobDeps) {
    const queue = createInProcessQueue({
      handlers: createJobHandlers(jobDeps),
      retry: { attempts: 3, backoffMs: 100 },
    });
    onTestFinished(() => queue.close());
    return queue;
  }

  it('processes a file once S3 is back, rather than failing it', async () => {
    const s3 = await ownS3();
    const jobDeps = { ...deps, storage: s3.storage };
    const userId = await createUser(jobDeps);
    const file = await uploadFile(jobDeps, userId, {
      bytes: await testImage('png'),
      contentType: 'image/png',
    });
    await s3.stop();

    await queueOn(jobDeps).enqueue(
      'process-file',
      { fileId: file.id },
      { jobId: processFileJobId(file.id) },
    );
    // Longer than three attempts take: the file would have failed by now without the outage budget.
    await sleep(3000);
    await s3.start();

    const row = await waitForStatus(jobDeps, file.id, 'ready', 30_000);
    expect(row).toMatchObject({ width: 600, height: 400, failureReason: null });
  });

  it('writes an export once S3 is back, rather than failing it', async () => {
    const s3 = await ownS3();
    const jobDeps = { ...deps, storage: s3.storage };
    const userId = await createUser(jobDeps);
    const rows = await deps.db
      .insert(dataExports)
      .values({ userId, expiresAt: new Date(Date.now() + 3_600_000) })
      .returning({ id: dataExports.id });
    const exportId = singleRow(rows).id;
    await s3.stop();

    await queueOn(jobDeps).enqueue('export-data', { exportId });
    await sleep(3000);
    await s3.start();

    await vi.waitFor(
      async () => {
        const [row] = await deps.db.select().from(dataExports).where(eq(dataExports.id, exportId));
        expect(row).toMatchObject({ status: 'ready', failureReason: null });
      },
      { timeout: 30_000, interval: 100 },
    );
  });
});
