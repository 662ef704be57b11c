// The jobs, by name. The worker process runs them from Redis; in local development without
// Redis the API runs them in its own process, so this file starts nothing by itself.
import type { JobHandlers } from '@shipshape/queue';
import { backup } from './backup';
import { cleanup } from './cleanup';
import { deleteAccount } from './delete-account';
import type { JobDeps } from './deps';
import { exportData } from './export-data';
import { withJobLog } from './job-log';
import { processFile } from './thumbnail';
import { resumeWork } from './resume-work';
import { sendEmail } from './send-email';

export function createJobHandlers(deps: JobDeps): JobHandlers {
  return {
    'process-file': withJobLog('process-file', processFile(deps), deps.logger),
    'export-data': withJobLog('export-data', exportData(deps), deps.logger),
    'send-email': withJobLog('send-email', sendEmail(deps), deps.logger),
    'delete-account': withJobLog('delete-account', deleteAccount(deps), deps.logger),
    cleanup: withJobLog('cleanup', cleanup(deps), deps.logger),
    backup: withJobLog('backup', backup(deps), deps.logger),
    // Not logged at each start and finish: it runs every few seconds and logs what it enqueues.
    'resume-work': resumeWork(deps),
  };
}
