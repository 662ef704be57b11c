import type { JobName, JobPayload } from './jobs';
import type { JobQueue, QueueLogger } from './queue';

/**
 * Enqueues the job of a row just written, without ever failing the request that wrote it. The
 * row's status is the outbox ('uploaded', 'pending'): when Redis is away, 'resume-work' enqueues
 * the job later under the same jobId, so a failure here is worth a warning, not an error.
 */
export async function enqueueOrDefer<N extends JobName>(
  queue: Pick<JobQueue, 'enqueue'>,
  log: QueueLogger,
  job: { name: N; payload: JobPayload<N>; jobId: string },
): Promise<void> {
  try {
    await queue.enqueue(job.name, job.payload, { jobId: job.jobId });
  } catch (error) {
    log.warn({ err: error, jobId: job.jobId }, 'Job not enqueued now; resume-work will enqueue it');
  }
}
