// `node dist/backup.js` in the worker image (`pnpm db:backup` from a checkout): one database
// backup into the bucket now, the same as the scheduled job. docs/deploy/backups.md.
import { loadConfigOrExit } from '@shipshape/config';
import { backupCommand } from '@shipshape/jobs';

process.exitCode = await backupCommand(loadConfigOrExit());
