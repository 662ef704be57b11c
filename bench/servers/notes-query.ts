// The query both baselines run: the same one the API's GET /api/notes?limit=20 sends (one page of
// 20 plus the row that says whether another page exists, newest first, on the same index).
export const notesPageSql =
  'select id, user_id, title, body, created_at, updated_at from notes ' +
  'where user_id = $1 order by created_at desc nulls last, id desc nulls last limit 21';

export interface NoteRow {
  id: string;
  title: string;
  body: string;
  created_at: Date;
  updated_at: Date;
}

/** The answer's shape, as the API's: 20 notes without their owner, and a next-page marker. */
export function notesPage(rows: NoteRow[]) {
  return {
    notes: rows.slice(0, 20).map((row) => ({
      id: row.id,
      title: row.title,
      body: row.body,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    })),
    nextCursor: rows.length > 20 ? 'more' : null,
  };
}

/** What each baseline reads from its environment. */
export function baselineEnv() {
  const { PORT, DATABASE_URL, BENCH_USER_ID, DATABASE_POOL_MAX } = process.env;
  if (!PORT || !DATABASE_URL || !BENCH_USER_ID) {
    throw new Error('PORT, DATABASE_URL and BENCH_USER_ID are required');
  }
  return {
    port: Number(PORT),
    databaseUrl: DATABASE_URL,
    userId: BENCH_USER_ID,
    // The API's pool size, so the comparison is about the code in between and not the pool.
    poolMax: Number(DATABASE_POOL_MAX ?? 10),
  };
}
