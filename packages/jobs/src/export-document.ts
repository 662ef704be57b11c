// What a data export contains. Columns are listed one by one, so that adding a column to a
// table (a password hash, say) never puts it in users' downloads unnoticed.
import { and, asc, eq, ne } from 'drizzle-orm';
import { files, notes, users, type Database } from '@shipshape/db';

export async function buildExportDocument(db: Database, userId: string, exportedAt: Date) {
  const [user] = await db
    .select({ id: users.id, email: users.email })
    .from(users)
    .where(eq(users.id, userId));
  if (!user) throw new Error('The user of this export no longer exists');

  const userNotes = await db
    .select({
      id: notes.id,
      title: notes.title,
      body: notes.body,
      createdAt: notes.createdAt,
      updatedAt: notes.updatedAt,
    })
    .from(notes)
    .where(eq(notes.userId, userId))
    .orderBy(asc(notes.createdAt), asc(notes.id));

  const userFiles = await db
    .select({
      id: files.id,
      originalName: files.originalName,
      contentType: files.contentType,
      size: files.size,
      sha256: files.sha256,
      width: files.width,
      height: files.height,
      status: files.status,
      createdAt: files.createdAt,
    })
    .from(files)
    // An upload still in progress is not the user's file yet.
    .where(and(eq(files.userId, userId), ne(files.status, 'uploading')))
    .orderBy(asc(files.createdAt), asc(files.id));

  return { exportedAt, user, notes: userNotes, files: userFiles };
}
