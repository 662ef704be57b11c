// No-op jobs through BullMQ: the jobs are queued first, then one worker process (BullMQ at the
// configured WORKER_CONCURRENCY, handlers that do nothing) runs them all; it reports the time from
// its first job to its last.
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createBullmqQueue } from '@shipshape/queue';
import { loadConfig } from '@shipshape/config';
import { spawnTs } from '@shipshape/lifecycle';
import type { Stack } from './stack';

export interface JobsResult {
  jobs: number;
  concurrency: number;
  perSecond: number;
}

export async function measureJobs(
  stack: Stack,
  jobs: number,
  progress: (line: string) => void,
): Promise<JobsResult> {
  const config = loadConfig(stack.env);
  const { url = '', prefix } = config.redis;
  // A prefix of their own: the uploads' waiting jobs stay out of the count.
  const env = { ...stack.env, REDIS_PREFIX: `${prefix}-jobs`, BENCH_JOBS: String(jobs) };
  const queue = createBullmqQueue({
    connection: url,
    prefix: env.REDIS_PREFIX,
    retry: config.jobs,
  });
  progress(`jobs: queueing ${jobs} no-op jobs`);
  try {
    await queue.enqueue('cleanup', {}); // connected before the rest are sent together
    for (let i = 1; i < jobs; i += 500) {
      const batch = Math.min(500, jobs - i);
      await Promise.all(Array.from({ length: batch }, () => queue.enqueue('cleanup', {})));
    }
  } finally {
    await queue.close();
  }

  progress(`jobs: one worker process, concurrency ${config.jobs.concurrency}`);
  const worker = spawnTs('bench/servers/noop-worker.ts', {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const lines = createInterface({ input: worker.child.stdout as NodeJS.ReadableStream });
    const [line] = (await once(lines, 'line')) as [string];
    lines.close();
    const { jobs: ran, ms } = JSON.parse(line) as { jobs: number; ms: number };
    // From the first job's start to the last one's: ran - 1 jobs in that time.
    return { jobs: ran, concurrency: config.jobs.concurrency, perSecond: (ran - 1) / (ms / 1000) };
  } finally {
    await worker.stop();
  }
}
