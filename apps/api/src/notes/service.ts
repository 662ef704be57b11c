// A user's notes. Every query is scoped by user id: another user's note is simply not found.
import { and, eq, sql, type SQL } from 'drizzle-orm';
import { notes, singleRow, type Database, type Note } from '@shipshape/db';
import { notFound } from '../http/errors';
import { newestFirst, pagedQuery, type PageQuery } from '../http/pagination';
import type { NoteInput, NotePatch } from './schema';

export function createNotesService({ db }: { db: Database }) {
  const owned = (userId: string, id: string) => and(eq(notes.userId, userId), eq(notes.id, id));

  const listPage = pagedQuery(notes, (after?: SQL) =>
    db
      .select()
      .from(notes)
      .where(and(eq(notes.userId, sql.placeholder('userId')), after))
      .orderBy(...newestFirst(notes))
      .limit(sql.placeholder('limit')),
  );

  return {
    /** Newest first, a page at a time (see http/pagination.ts). */
    list(userId: string, page: PageQuery) {
      return listPage(userId, page);
    },

    async create(userId: string, input: NoteInput): Promise<Note> {
      return singleRow(
        await db
          .insert(notes)
          .values({ ...input, userId })
          .returning(),
      );
    },

    async get(userId: string, id: string): Promise<Note> {
      const [note] = await db.select().from(notes).where(owned(userId, id));
      if (!note) throw notFound('Note');
      return note;
    },

    /** updated_at is stamped by the database (see the schema). */
    async update(userId: string, id: string, patch: NotePatch): Promise<Note> {
      const [note] = await db.update(notes).set(patch).where(owned(userId, id)).returning();
      if (!note) throw notFound('Note');
      return note;
    },

    async remove(userId: string, id: string): Promise<void> {
      const [deleted] = await db.delete(notes).where(owned(userId, id)).returning({ id: notes.id });
      if (!deleted) throw notFound('Note');
    },
  };
}

export type NotesService = ReturnType<typeof createNotesService>;
