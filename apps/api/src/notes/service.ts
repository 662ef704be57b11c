// A user's notes. Every query is scoped by user id: another user's note is simply not found.
import { and, eq } from 'drizzle-orm';
import { notes, singleRow, type Database, type Note } from '@shipshape/db';
import { notFound } from '../http/errors';
import { keyset, toPage, type PageQuery } from '../http/pagination';
import type { NoteInput, NotePatch } from './schema';

export function createNotesService({ db }: { db: Database }) {
  const owned = (userId: string, id: string) => and(eq(notes.userId, userId), eq(notes.id, id));

  return {
    /** Newest first, a page at a time (see http/pagination.ts). */
    async list(userId: string, page: PageQuery) {
      const { after, orderBy } = keyset(notes, page);
      const rows = await db
        .select()
        .from(notes)
        .where(and(eq(notes.userId, userId), after))
        .orderBy(...orderBy)
        .limit(page.limit + 1);
      return toPage(rows, page.limit);
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
