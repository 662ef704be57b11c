import type { Config } from '@shipshape/config';
import type { Database } from '@shipshape/db';
import type { Logger } from '@shipshape/logger';
import type { Storage } from '@shipshape/storage';

/** What every job receives: the same for the worker process and for jobs run inside the API. */
export interface JobDeps {
  db: Database;
  storage: Storage;
  logger: Logger;
  jobs: Config['jobs'];
  /** For pg_dump, which connects itself: set by the worker, which runs backups. */
  databaseUrl?: string;
}
