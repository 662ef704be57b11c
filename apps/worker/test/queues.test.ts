// The jobs run through both queues the app uses: the in-process one (local development)
// and BullMQ on Redis (every deployment). Retries and de-duplication must hold on both.
import { loadConfig } from '@shipshape/config';
import { jobWait, useTestDatabase } from '@shipshape/db/testing';
import {
  createBullmqQueue,
  createInProcessQueue,
  type JobHandlers,
  type JobQueue,
} from '@shipshape/queue';
import { thumbnailKey, userPrefix } from '@shipshape/storage';
import { beforeAll, describe, expect, inject, it, onTestFinished, vi } from 'vitest';
import { createJobHandlers } from '@shipshape/jobs';
import { startWorker } from '../src/worker';
import { inspectQueue } from './bullmq';
import {
  corruptPng,
  countingHandlers,
  createUser,
  fileRow,
  listKeys,
  sleep,
  testDeps,
  testEnv,
  testImage,
  uploadFile,
  waitForStatus,
} from '@shipshape/jobs/testing';

useTestDatabase();

const deps = testDeps();
const redisUrl = inject('redisUrl');
const prefix = `${inject('redisPrefix')}-worker-queues`;
if (!redisUrl) console.warn('No Redis: the BullMQ half of queues.test.ts is skipped.');

interface QueueUnderTest {
  queue: JobQueue;
  /** The state BullMQ keeps for a job; the in-process queue keeps none. */
  jobState?: (jobId: string) => Promise<{ state: string; attemptsMade: number } | undefined>;
  close(): Promise<void>;
}

const { attempts, backoffMs } = deps.jobs;

function inProcess(handlers: JobHandlers): Promise<QueueUnderTest> {
  const queue = createInProcessQueue({ handlers, retry: deps.jobs });
  return Promise.resolve({ queue, close: () => queue.close() });
}

async function bullmq(handlers: JobHandlers): Promise<QueueUnderTest> {
  const url = redisUrl ?? '';
  const config = loadConfig({ ...testEnv, REDIS_URL: url, REDIS_PREFIX: prefix });
  const queue = createBullmqQueue({ connection: url, prefix, retry: deps.jobs });
  const worker = await startWorker({ ...deps, config, handlers });
  const inspector = inspectQueue(url, prefix);
  return {
    queue,
    async jobState(jobId) {
      const job = await inspector.queue.getJob(jobId);
      if (!job) return undefined;
      return { state: await job.getState(), attemptsMade: job.attemptsMade };
    },
    async close() {
      await worker.close();
      await queue.close();
      await inspector.close();
    },
  };
}

function jobsThrough(start: (handlers: JobHandlers) => Promise<QueueUnderTest>) {
  let userId: string;
  let running: QueueUnderTest | undefined;
  beforeAll(async () => {
    userId = await createUser(deps);
  });
  async function startWith(handlers: JobHandlers) {
    const started = await start(handlers);
    running = started;
    onTestFinished(async () => {
      if (running === started) await stop();
    });
    return started;
  }

  /** Closing waits for the jobs that are running: after it, nothing more is written. */
  async function stop() {
    await running?.close();
    running = undefined;
  }

  it(`fails a file after exactly ${attempts} attempts when its object stays missing`, async () => {
    const counted = countingHandlers(createJobHandlers(deps));
    const { queue, jobState } = await startWith(counted.handlers);
    const file = await uploadFile(deps, userId, { contentType: 'text/plain' });

    await queue.enqueue('process-file', { fileId: file.id }, { jobId: `missing-${file.id}` });

    const row = await waitForStatus(deps, file.id, 'failed');
    expect(row.failureReason).toBe('We could not process this file. Try uploading it again.');
    if (jobState) {
      await vi.waitFor(async () => {
        expect(await jobState(`missing-${file.id}`)).toEqual({
          state: 'failed',
          attemptsMade: attempts,
        });
      }, jobWait);
    } else {
      // Longer than the next backoff would be: a retry that was coming would have come.
      await sleep(backoffMs * 2 ** attempts * 2);
    }
    expect(counted.attempts).toEqual([1, 2]);
  });

  it('fails a corrupt image at the first attempt, without retrying it', async () => {
    const counted = countingHandlers(createJobHandlers(deps));
    const { queue, jobState } = await startWith(counted.handlers);
    const file = await uploadFile(deps, userId, { bytes: corruptPng, contentType: 'image/png' });

    await queue.enqueue('process-file', { fileId: file.id }, { jobId: `corrupt-${file.id}` });

    const row = await waitForStatus(deps, file.id, 'failed');
    expect(row.failureReason).toBe('This image could not be read: it may be damaged.');
    if (jobState) {
      await vi.waitFor(async () => {
        expect(await jobState(`corrupt-${file.id}`)).toEqual({ state: 'failed', attemptsMade: 1 });
      }, jobWait);
    } else {
      await sleep(backoffMs * 4);
    }
    expect(counted.attempts).toEqual([1]);
  });

  it('makes one thumbnail when the same file is enqueued twice', async () => {
    const owner = await createUser(deps);
    const counted = countingHandlers(createJobHandlers(deps));
    const { queue } = await startWith(counted.handlers);
    const file = await uploadFile(deps, owner, {
      bytes: await testImage('jpeg'),
      contentType: 'image/jpeg',
    });

    // No job id: two jobs, which nothing de-duplicates but the job itself.
    await queue.enqueue('process-file', { fileId: file.id });
    await queue.enqueue('process-file', { fileId: file.id });

    await waitForStatus(deps, file.id, 'ready');
    await vi.waitFor(() => expect(counted.attempts).toHaveLength(2), jobWait);
    await stop();

    expect(await fileRow(deps, file.id)).toMatchObject({
      status: 'ready',
      width: 600,
      height: 400,
    });
    expect(await listKeys(deps.storage, `${userPrefix(owner)}thumbnails/`)).toEqual([
      thumbnailKey(owner, file.id),
    ]);
  });
}

describe('jobs through the in-process queue', () => {
  jobsThrough(inProcess);
});

describe.skipIf(!redisUrl)('jobs through BullMQ and the worker', () => {
  jobsThrough(bullmq);
});
