// `node dist/backup.js` in the worker image: one database backup into the bucket now, the same
// as the scheduled job. `pnpm db:backup` runs the same command from a checkout.
// docs/deploy/backups.md.
import { loadConfigOrExit } from '@shipshape/config';
import { backupCommand } from '@shipshape/jobs';

process.exitCode = await backupCommand(loadConfigOrExit());
