// `node dist/restore.js <key> [--yes]` in the worker image: replaces the database's tables with
// a backup's. `pnpm db:restore` runs the same command from a checkout. docs/deploy/backups.md.
import { loadConfigOrExit } from '@shipshape/config';
import { restoreCommand } from '@shipshape/jobs';

process.exitCode = await restoreCommand(loadConfigOrExit(), process.argv.slice(2));
