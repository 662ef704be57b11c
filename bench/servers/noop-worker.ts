// One worker process as the real one runs (BullMQ, the configured WORKER_CONCURRENCY, the same
// retry settings), with handlers that do nothing: what is measured is the queue's own cost per job.
// Prints one JSON line when BENCH_JOBS jobs have run: how long they took from the first one's start.
import { loadConfigOrExit } from '@shipshape/config';
import { jobSchemas, startBullmqWorker, type JobHandlers } from '@shipshape/queue';

const config = loadConfigOrExit();
const expected = Number(process.env.BENCH_JOBS ?? 0);
const { url, prefix } = config.redis;
if (!url || expected <= 0) throw new Error('REDIS_URL and BENCH_JOBS are required');

let ran = 0;
let first = 0;
const noop = () => {
  ran += 1;
  if (ran === 1) first = performance.now();
  if (ran === expected) {
    console.log(JSON.stringify({ jobs: ran, ms: performance.now() - first }));
  }
  return Promise.resolve();
};
// Every job name the app knows gets the same handler, whichever the bench queues.
const handlers = Object.fromEntries(
  Object.keys(jobSchemas).map((name) => [name, noop]),
) as unknown as JobHandlers;

const worker = startBullmqWorker({
  connection: url,
  prefix,
  handlers,
  retry: config.jobs,
  concurrency: config.jobs.concurrency,
});
process.once('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
