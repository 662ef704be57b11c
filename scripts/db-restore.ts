// `pnpm db:restore <key> [--yes]`: replaces the tables of DATABASE_URL's database with a backup
// from the bucket. Without a key it lists the backups. docs/deploy/backups.md.
import '../apps/worker/src/restore';
