// What a client sees of an export: its state, and where to download it once it is ready.
import type { ExportRow } from '@shipshape/db';

export function publicExport(row: ExportRow) {
  return {
    id: row.id,
    status: row.status,
    size: row.size,
    failureReason: row.failureReason,
    downloadUrl: row.status === 'ready' ? `/api/exports/${row.id}/download` : null,
    createdAt: row.createdAt,
    completedAt: row.completedAt,
    expiresAt: row.expiresAt,
  };
}
