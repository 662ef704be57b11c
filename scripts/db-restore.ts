// `pnpm db:restore <key> [--yes]`: replaces the tables of DATABASE_URL's database with a backup
// from the bucket. Without a key it lists the backups. docs/deploy/backups.md.
import { loadConfigOrExit } from '@shipshape/config';
// By path: the root package does not list @shipshape/jobs among its dependencies.
import { restoreCommand } from '../packages/jobs/src/index';

process.exitCode = await restoreCommand(loadConfigOrExit(), process.argv.slice(2));
