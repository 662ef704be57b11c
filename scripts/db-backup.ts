// `pnpm db:backup`: one database backup into the bucket now, with the scheduled job's code,
// against DATABASE_URL and the S3_* settings of this shell. docs/deploy/backups.md.
import '../apps/worker/src/backup';
