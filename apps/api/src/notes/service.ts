import { and, eq, sql } from 'drizzle-orm';
import { notes, singleRow, type Database, type Note } from '@shipshape/db';
import { keyset, toPage, type PageQuery } from '../http/pagination';
import type { NoteInput, NotePatch } from './schema';

const publicColumns = {
  id: notes.id,
  title: notes.title,
  body: notes.body,
  createdAt: notes.createdAt,
  updatedAt: notes.updatedAt,
};

export type PublicNote = Omit<Note, 'userId'>;

// Every query is scoped by user id: another user's note is simply not found.
export function createNotesService(db: Database) {
  const owned = (userId: string, id: string) => and(eq(notes.userId, userId), eq(notes.id, id));

  return {
    /** Newest first, a page at a time (see http/pagination.ts). */
    async list(userId: string, page: PageQuery) {
      const { after, orderBy } = keyset(notes, page);
      const rows = await db
        .select(publicColumns)
        .from(notes)
        .where(and(eq(notes.userId, userId), after))
        .orderBy(...orderBy)
        .limit(page.limit + 1);
      const { items, nextCursor } = toPage(rows, page.limit);
      return { notes: items, nextCursor };
    },

    async create(userId: string, input: NoteInput): Promise<PublicNote> {
      const rows = await db
        .insert(notes)
        .values({ ...input, userId })
        .returning(publicColumns);
      return singleRow(rows);
    },

    async get(userId: string, id: string): Promise<PublicNote | undefined> {
      const [note] = await db.select(publicColumns).from(notes).where(owned(userId, id));
      return note;
    },

    async update(userId: string, id: string, patch: NotePatch): Promise<PublicNote | undefined> {
      const [note] = await db
        .update(notes)
        .set({ ...patch, updatedAt: sql`now()` })
        .where(owned(userId, id))
        .returning(publicColumns);
      return note;
    },

    async remove(userId: string, id: string): Promise<boolean> {
      const deleted = await db.delete(notes).where(owned(userId, id)).returning({ id: notes.id });
      return deleted.length > 0;
    },
  };
}

export type NotesService = ReturnType<typeof createNotesService>;
