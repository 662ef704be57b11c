// No request sends mail itself. It writes a row to `emails` in the same transaction as the
// change the mail reports (the outbox), and after the commit hands the row's id to the queue;
// the worker's 'send-email' job renders and sends it. Redis away at that moment, or the SMTP
// server, only delays the mail: resume-work enqueues every row still pending.
import { emails, type Database, type Transaction } from '@shipshape/db';
import type { Logger } from '@shipshape/logger';
import { enqueueOrDefer, sendEmailJobId, type JobQueue } from '@shipshape/queue';

export type NewEmail = Pick<
  typeof emails.$inferInsert,
  'toAddress' | 'template' | 'userId' | 'newEmail'
>;

/** Writes mails to the outbox inside the caller's transaction; returns their ids. */
export async function writeMail(tx: Transaction | Database, mails: NewEmail[]): Promise<string[]> {
  const rows = await tx.insert(emails).values(mails).returning({ id: emails.id });
  return rows.map((row) => row.id);
}

export function mailOutbox({ queue, logger }: { queue: JobQueue; logger: Logger }) {
  return {
    /** After the commit: a failure here is a warning, since resume-work will enqueue them. */
    async send(emailIds: string[]): Promise<void> {
      for (const emailId of emailIds) {
        await enqueueOrDefer(queue, logger, {
          name: 'send-email',
          payload: { emailId },
          jobId: sendEmailJobId(emailId),
        });
      }
    },
  };
}

export type MailOutbox = ReturnType<typeof mailOutbox>;
