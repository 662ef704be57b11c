import type { Config } from '@shipshape/config';
import type { Database } from '@shipshape/db';
import type { Logger } from '@shipshape/logger';
import type { Mailer } from '@shipshape/mail';
import type { Storage } from '@shipshape/storage';

/** What every job receives: the same for the worker process and for jobs run inside the API. */
export interface JobDeps {
  db: Database;
  storage: Storage;
  logger: Logger;
  jobs: Config['jobs'];
  /**
   * Sends the mail of the outbox, whose links start with publicUrl. The worker and the API always
   * pass it; tests of other jobs may leave it out, and 'send-email' then fails at once.
   */
  mail?: { mailer: Mailer; publicUrl: string };
  /** For pg_dump, which connects itself: set by the worker, which runs backups. */
  databaseUrl?: string;
}
