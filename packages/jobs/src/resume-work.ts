// The 'resume-work' job, run every few seconds: enqueues the job of every row that is still
// waiting for one. A row's status is its own outbox: a file 'uploaded' or an export 'pending'
// is work whose job may not exist, because Redis was away when the API enqueued it, the API
// died in between, or the in-process queue of local development restarted. Job ids are fixed
// per row, so a job that does exist is not doubled (see EnqueueOptions.jobId).
import { and, asc, eq, isNotNull, lt, or, sql } from 'drizzle-orm';
import { dataExports, emails, files, users } from '@shipshape/db';
import {
  deleteAccountJobId,
  exportDataJobId,
  processFileJobId,
  sendEmailJobId,
  type JobHandlers,
} from '@shipshape/queue';
import type { JobDeps } from './deps';

// The API enqueues right after writing the row; leave it that long to do so before looking.
const WAITING_AFTER_S = 5;
// A file 'processing' (an export 'running') whose job was lost with Redis's data, or whose
// final failure could not be written down. Its job, if it exists, is running or waiting to
// retry, and enqueuing adds nothing; so this only needs to be longer than an attempt.
const STUCK_AFTER_S = 10 * 60;
// Rows per run and per kind, oldest first; the next run, seconds later, takes the rest.
const LIMIT = 100;

const olderThan = (
  column:
    | typeof files.updatedAt
    | typeof dataExports.createdAt
    | typeof emails.updatedAt
    | typeof users.deletedAt,
  seconds: number,
) =>
  // The database's clock, which stamped the row, not this machine's.
  lt(column, sql`now() - make_interval(secs => ${seconds})`);

export function resumeWork({ db }: JobDeps): JobHandlers['resume-work'] {
  return async (_payload, context) => {
    const waitingFiles = await db
      .select({ id: files.id })
      .from(files)
      .where(
        or(
          and(eq(files.status, 'uploaded'), olderThan(files.updatedAt, WAITING_AFTER_S)),
          and(eq(files.status, 'processing'), olderThan(files.updatedAt, STUCK_AFTER_S)),
        ),
      )
      .orderBy(asc(files.updatedAt))
      .limit(LIMIT);
    const waitingExports = await db
      .select({ id: dataExports.id })
      .from(dataExports)
      .where(
        or(
          and(eq(dataExports.status, 'pending'), olderThan(dataExports.createdAt, WAITING_AFTER_S)),
          and(eq(dataExports.status, 'running'), olderThan(dataExports.createdAt, STUCK_AFTER_S)),
        ),
      )
      .orderBy(asc(dataExports.createdAt))
      .limit(LIMIT);

    // A mail still pending (its job lost, or given up while the SMTP server was away: the row
    // stays pending, so the mail is tried again rather than lost), and accounts whose deletion
    // was asked for and has not finished.
    const waitingEmails = await db
      .select({ id: emails.id })
      .from(emails)
      .where(and(eq(emails.status, 'pending'), olderThan(emails.updatedAt, WAITING_AFTER_S)))
      .orderBy(asc(emails.updatedAt))
      .limit(LIMIT);
    const leavingUsers = await db
      .select({ id: users.id })
      .from(users)
      .where(and(isNotNull(users.deletedAt), olderThan(users.deletedAt, WAITING_AFTER_S)))
      .limit(LIMIT);

    let added = 0;
    for (const { id } of waitingFiles) {
      const jobId = processFileJobId(id);
      if (await context.enqueue('process-file', { fileId: id }, { jobId })) added++;
    }
    for (const { id } of waitingExports) {
      const jobId = exportDataJobId(id);
      if (await context.enqueue('export-data', { exportId: id }, { jobId })) added++;
    }
    for (const { id } of waitingEmails) {
      const jobId = sendEmailJobId(id);
      if (await context.enqueue('send-email', { emailId: id }, { jobId })) added++;
    }
    for (const { id } of leavingUsers) {
      const jobId = deleteAccountJobId(id);
      if (await context.enqueue('delete-account', { userId: id }, { jobId })) added++;
    }
    // Quiet when there was nothing to do, which is nearly always: this runs every few seconds.
    if (added > 0) context.log.info({ added }, 'Enqueued the jobs of rows that were missing one');
  };
}
