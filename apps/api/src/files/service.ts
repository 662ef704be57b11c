// Listing, download and deletion of a user's files. Uploads are files/uploads.ts.
import { and, eq, ne, sql, type SQL } from 'drizzle-orm';
import { files, type Database, type FileRow } from '@shipshape/db';
import type { Logger } from '@shipshape/logger';
import type { Storage } from '@shipshape/storage';
import { notFound } from '../http/errors';
import { newestFirst, pagedQuery, type PageQuery } from '../http/pagination';

export interface FilesDeps {
  db: Database;
  storage: Storage;
  logger: Logger;
}

export function createFilesService({ db, storage, logger }: FilesDeps) {
  // Rows still being uploaded are invisible: a user never sees a row without its object.
  const visible = (userId: string, id: string) =>
    and(eq(files.userId, userId), eq(files.id, id), ne(files.status, 'uploading'));
  const listPage = pagedQuery(files, (after?: SQL) =>
    db
      .select()
      .from(files)
      .where(and(eq(files.userId, sql.placeholder('userId')), ne(files.status, 'uploading'), after))
      .orderBy(...newestFirst(files))
      .limit(sql.placeholder('limit')),
  );

  return {
    /** Newest first, a page at a time (see http/pagination.ts). */
    list(userId: string, page: PageQuery) {
      return listPage(userId, page);
    },

    async get(userId: string, id: string): Promise<FileRow> {
      const [row] = await db.select().from(files).where(visible(userId, id));
      if (!row) throw notFound('File');
      return row;
    },

    /** The row goes first: from then on no user can reach the objects, which are removed next. */
    async remove(userId: string, id: string): Promise<void> {
      const [row] = await db.delete(files).where(visible(userId, id)).returning();
      if (!row) throw notFound('File');
      const keys = [row.objectKey, ...(row.thumbnailKey ? [row.thumbnailKey] : [])];
      await storage.deleteMany(keys).catch((error: unknown) => {
        logger.warn({ err: error, fileId: id }, 'object removal deferred to the cleanup job');
      });
    },
  };
}

export type FilesService = ReturnType<typeof createFilesService>;
