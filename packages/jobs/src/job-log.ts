// Logs each job's start and finish with its name and id, and hands the job a logger that
// carries them too. Failures are logged by the queue, which knows whether a retry follows.
import type { Logger } from '@shipshape/logger';
import type { JobContext, JobName } from '@shipshape/queue';

type Handler<P> = (payload: P, context: JobContext) => Promise<void>;

export function withJobLog<P>(name: JobName, handler: Handler<P>, logger: Logger): Handler<P> {
  return async (payload, context) => {
    const log = logger.child({ job: name, jobId: context.jobId, attempt: context.attempt });
    const started = performance.now();
    log.info('Job started');
    await handler(payload, { ...context, log });
    log.info({ durationMs: Math.round(performance.now() - started) }, 'Job finished');
  };
}
