// Objects whose row is gone: left by a crash between deleting a row and its object, or by a
// thumbnail written just as its file was deleted. Rows are written before their objects, so
// an object old enough and without a row will never get one.
import { inArray } from 'drizzle-orm';
import { dataExports, files, type Database } from '@shipshape/db';
import type { JobDeps } from './deps';

// Keys per database check and per delete request. Listing goes page by page, so memory
// holds one batch whatever the size of the bucket.
const BATCH = 500;

const uuid = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const fileObject = new RegExp(`^users/[^/]+/(?:files/(${uuid})|thumbnails/(${uuid})\\.webp)$`);
const exportObject = new RegExp(`^users/[^/]+/exports/(${uuid})\\.json$`);

interface Candidate {
  key: string;
  table: 'files' | 'exports';
  id: string;
}

/** Keys that are not ours to judge (an unknown layout) are left alone. */
function ownerOf(key: string): Omit<Candidate, 'key'> | undefined {
  const file = fileObject.exec(key);
  const fileId = file?.[1] ?? file?.[2];
  if (fileId) return { table: 'files', id: fileId };
  const exportId = exportObject.exec(key)?.[1];
  if (exportId) return { table: 'exports', id: exportId };
  return undefined;
}

export async function removeOrphanObjects(
  { db, storage }: JobDeps,
  modifiedBefore: Date,
): Promise<number> {
  let removed = 0;
  let batch: Candidate[] = [];
  const removeBatch = async () => {
    const existing = await existingIds(db, batch);
    const orphans = batch.filter((c) => !existing[c.table].has(c.id)).map((c) => c.key);
    await storage.deleteMany(orphans);
    removed += orphans.length;
    batch = [];
  };

  for await (const object of storage.list('users/', { pageSize: BATCH })) {
    if (object.lastModified >= modifiedBefore) continue;
    const owner = ownerOf(object.key);
    if (!owner) continue;
    batch.push({ key: object.key, ...owner });
    if (batch.length === BATCH) await removeBatch();
  }
  if (batch.length > 0) await removeBatch();
  return removed;
}

async function existingIds(db: Database, candidates: Candidate[]) {
  const idsIn = (table: Candidate['table']) => [
    ...new Set(candidates.filter((c) => c.table === table).map((c) => c.id)),
  ];
  const fileIds = idsIn('files');
  const exportIds = idsIn('exports');
  const [fileRows, exportRows] = await Promise.all([
    fileIds.length > 0
      ? db.select({ id: files.id }).from(files).where(inArray(files.id, fileIds))
      : [],
    exportIds.length > 0
      ? db
          .select({ id: dataExports.id })
          .from(dataExports)
          .where(inArray(dataExports.id, exportIds))
      : [],
  ]);
  return {
    files: new Set(fileRows.map((row) => row.id)),
    exports: new Set(exportRows.map((row) => row.id)),
  };
}
