// `node dist/restore.js <key> [--yes]` in the worker image (`pnpm db:restore` from a checkout):
// replaces the database's tables with a backup's. docs/deploy/backups.md.
import { loadConfigOrExit } from '@shipshape/config';
import { restoreCommand } from '@shipshape/jobs';

process.exitCode = await restoreCommand(loadConfigOrExit(), process.argv.slice(2));
