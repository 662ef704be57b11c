// What a client sees of a file: its details and where to fetch it, never where it is stored.
import type { FileRow } from '@shipshape/db';

export function publicFile(row: FileRow) {
  return {
    id: row.id,
    noteId: row.noteId,
    name: row.originalName,
    contentType: row.contentType,
    size: row.size,
    sha256: row.sha256,
    width: row.width,
    height: row.height,
    status: row.status,
    failureReason: row.failureReason,
    contentUrl: `/api/files/${row.id}/content`,
    thumbnailUrl: row.thumbnailKey ? `/api/files/${row.id}/thumbnail` : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
