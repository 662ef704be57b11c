// In-process only: how it shuts down. (What it shares with BullMQ is in queue-contract.test.ts.)
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createInProcessQueue } from '@shipshape/queue';
import { deferred, handlers, retry, sleep } from './helpers';

describe('in-process queue', () => {
  it('waits on close for the running job, and retries nothing afterwards', async () => {
    const started = deferred();
    let runs = 0;
    let finished = false;
    const queue = createInProcessQueue({
      retry: { attempts: 3, backoffMs: 50 },
      handlers: handlers({
        'export-data': async () => {
          runs += 1;
          started.resolve();
          await sleep(200);
          finished = true;
          throw new Error('fails, so that a retry would be due');
        },
      }),
    });
    await queue.enqueue('export-data', { exportId: randomUUID() });
    await started.promise;

    await queue.close();
    expect(finished).toBe(true);
    await sleep(200);
    expect(runs).toBe(1);
  });

  it('refuses new jobs once closed', async () => {
    const queue = createInProcessQueue({ handlers: handlers(), retry });
    await queue.close();
    await expect(queue.enqueue('cleanup', {})).rejects.toThrow('The job queue is closed');
  });
});
