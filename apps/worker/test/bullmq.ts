// BullMQ's own Queue, for tests that look at jobs the way an operator would (job states,
// schedulers). The app itself only reaches BullMQ through @shipshape/queue.
import { Redis } from 'ioredis';
import { QUEUE_NAME } from '@shipshape/queue';
import { Queue } from 'bullmq';

/** The app's queue under `prefix`, read-only by convention. Close it after use. */
export function inspectQueue(redisUrl: string, prefix: string) {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  // Tests that stop their own Redis expect the reconnect errors: not worth printing.
  connection.on('error', () => {});
  const queue = new Queue(QUEUE_NAME, { connection, prefix });
  return {
    queue,
    async close() {
      await queue.close();
      connection.disconnect();
    },
  };
}
