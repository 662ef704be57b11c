// The background jobs, shared by the two processes that run them: the worker (from Redis) and,
// in local development without Redis, the API. Importing this starts nothing.
export { ORPHAN_SAFETY_MARGIN_MS, runCleanup, type CleanupCounts } from './cleanup';
export type { JobDeps } from './deps';
export { createJobHandlers } from './handlers';
export {
  acceptedTypes,
  isAcceptedType,
  typeNamedBy,
  typeNoun,
  type AcceptedType,
} from './thumbnail-type';
export {
  BACKUP_PREFIX,
  backupAndPrune,
  backupDatabase,
  backupKey,
  listBackups,
  pruneBackups,
  type BackupResult,
} from './backup';
export { backupCommand, restoreCommand } from './backup-cli';
export { BackupNotFoundError, restoreDatabase, type RestoreResult } from './backup-restore';
