// The 'delete-account' job: everything a user stored goes, objects first, then the user's row
// (and with it, by foreign keys, every other row of theirs), then a mail says it is done. The
// API has already set users.deleted_at and ended the sessions, so nobody is using the account
// meanwhile; that column is also the outbox: resume-work enqueues this job again for any user
// still marked, so a crash or an outage of S3 part way through only delays the deletion.
import { eq } from 'drizzle-orm';
import { emails, singleRow, users } from '@shipshape/db';
import { enqueueOrDefer, sendEmailJobId, type JobHandlers } from '@shipshape/queue';
import { userPrefix } from '@shipshape/storage';
import type { JobDeps } from './deps';

// Keys per DeleteObjects request; listing goes a page at a time, so memory holds one batch.
const BATCH = 1000;

export function deleteAccount({ db, storage }: JobDeps): JobHandlers['delete-account'] {
  return async ({ userId }, context) => {
    const [user] = await db
      .select({ email: users.email, deletedAt: users.deletedAt })
      .from(users)
      .where(eq(users.id, userId));
    // Gone already (a repeat run), or never asked to go: nothing to do.
    if (!user?.deletedAt) return;

    let removed = 0;
    let batch: string[] = [];
    for await (const object of storage.list(userPrefix(userId))) {
      batch.push(object.key);
      if (batch.length === BATCH) {
        await storage.deleteMany(batch);
        removed += batch.length;
        batch = [];
      }
    }
    await storage.deleteMany(batch);
    removed += batch.length;

    // One transaction: the account's rows go and its goodbye is queued, or neither happens.
    const email = await db.transaction(async (tx) => {
      await tx.delete(users).where(eq(users.id, userId));
      return singleRow(
        await tx
          .insert(emails)
          .values({ toAddress: user.email, template: 'account-deleted' })
          .returning({ id: emails.id }),
      );
    });
    context.log.info({ userId, objects: removed }, 'Account deleted');
    await enqueueOrDefer({ enqueue: context.enqueue }, context.log, {
      name: 'send-email',
      payload: { emailId: email.id },
      jobId: sendEmailJobId(email.id),
    });
  };
}
