// `pnpm db:backup`: one database backup into the bucket now, with the scheduled job's code,
// against DATABASE_URL and the S3_* settings of this shell. docs/deploy/backups.md.
import { loadConfigOrExit } from '@shipshape/config';
// By path: the root package does not list @shipshape/jobs among its dependencies.
import { backupCommand } from '../packages/jobs/src/index';

process.exitCode = await backupCommand(loadConfigOrExit());
