import { and, eq, Placeholder, sql } from 'drizzle-orm';
import { connectDatabase, notes } from '@shipshape/db';
import { testDatabaseUrl, useTestDatabase } from '@shipshape/db/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { afterCursor, newestFirst } from '../src/http/pagination';
import { buildTestApp, signedUpAgent } from './helpers';

useTestDatabase();

const app = buildTestApp();

describe('notes', () => {
  it('creates, reads, updates and deletes a note', async () => {
    const { agent } = await signedUpAgent(app);
    const created = await agent
      .post('/api/notes')
      .send({ title: '  Groceries ', body: 'eggs' })
      .expect(201);
    expect(created.body).toMatchObject({ title: 'Groceries', body: 'eggs' });
    const id = created.body.id as string;

    await agent.get(`/api/notes/${id}`).expect(200);
    const updated = await agent.patch(`/api/notes/${id}`).send({ body: 'eggs, milk' }).expect(200);
    expect(updated.body).toMatchObject({ title: 'Groceries', body: 'eggs, milk' });
    expect(new Date(updated.body.updatedAt).getTime()).toBeGreaterThanOrEqual(
      new Date(created.body.updatedAt).getTime(),
    );

    await agent.delete(`/api/notes/${id}`).expect(204);
    await agent.get(`/api/notes/${id}`).expect(404);
  });

  it('pages through notes newest first without skipping or repeating', async () => {
    const { agent } = await signedUpAgent(app);
    for (let i = 1; i <= 5; i++)
      await agent
        .post('/api/notes')
        .send({ title: `note ${i}` })
        .expect(201);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await agent
        .get('/api/notes')
        .query({ limit: 2, ...(cursor && { cursor }) })
        .expect(200);
      seen.push(...page.body.notes.map((n: { title: string }) => n.title));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['note 5', 'note 4', 'note 3', 'note 2', 'note 1']);
  });

  it('continues after the cursor even when the note it names was deleted', async () => {
    const { agent } = await signedUpAgent(app);
    for (let i = 1; i <= 3; i++)
      await agent
        .post('/api/notes')
        .send({ title: `note ${i}` })
        .expect(201);
    const first = await agent.get('/api/notes').query({ limit: 1 }).expect(200);
    await agent.delete(`/api/notes/${first.body.notes[0].id}`).expect(204);
    const next = await agent
      .get('/api/notes')
      .query({ limit: 5, cursor: first.body.nextCursor })
      .expect(200);
    expect(next.body.notes.map((n: { title: string }) => n.title)).toEqual(['note 2', 'note 1']);
  });

  it("answers 404 for another user's note, and leaves it untouched", async () => {
    const owner = await signedUpAgent(app);
    const other = await signedUpAgent(app);
    const { body: note } = await owner.agent.post('/api/notes').send({ title: 'mine' }).expect(201);

    await other.agent.get(`/api/notes/${note.id}`).expect(404);
    await other.agent.patch(`/api/notes/${note.id}`).send({ title: 'stolen' }).expect(404);
    await other.agent.delete(`/api/notes/${note.id}`).expect(404);
    const list = await other.agent.get('/api/notes').expect(200);
    expect(list.body.notes).toEqual([]);

    const still = await owner.agent.get(`/api/notes/${note.id}`).expect(200);
    expect(still.body.title).toBe('mine');
  });

  it('answers 404 for an id that is not a UUID', async () => {
    const { agent } = await signedUpAgent(app);
    const res = await agent.get('/api/notes/not-a-uuid').expect(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('requires a signed-in user', async () => {
    const res = await request(app).get('/api/notes').expect(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });
});

describe('bad input', () => {
  it('refuses an invalid note with 400 naming each field, and stores nothing', async () => {
    const { agent } = await signedUpAgent(app);
    const res = await agent.post('/api/notes').send({ title: '', body: 42 }).expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(Object.keys(res.body.error.fields).sort()).toEqual(['body', 'title']);
    const list = await agent.get('/api/notes').expect(200);
    expect(list.body.notes).toEqual([]);
  });

  it('refuses an empty patch', async () => {
    const { agent } = await signedUpAgent(app);
    const { body: note } = await agent.post('/api/notes').send({ title: 't' }).expect(201);
    await agent.patch(`/api/notes/${note.id}`).send({}).expect(400);
  });

  it('answers malformed JSON with 400', async () => {
    const { agent } = await signedUpAgent(app);
    const res = await agent
      .post('/api/notes')
      .set('Content-Type', 'application/json')
      .send('{"title": ')
      .expect(400);
    expect(res.body).toEqual({
      error: { code: 'malformed_json', message: expect.any(String) },
    });
  });

  it('answers a body over the limit with 413', async () => {
    const { agent } = await signedUpAgent(app);
    const res = await agent
      .post('/api/notes')
      .send({ title: 'big', body: 'x'.repeat(200_000) })
      .expect(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('answers an invalid cursor or limit with 400', async () => {
    const { agent } = await signedUpAgent(app);
    await agent.get('/api/notes').query({ cursor: 'abc' }).expect(400);
    await agent.get('/api/notes').query({ limit: 1000 }).expect(400);
  });

  it('reads a page from the index, first and later pages alike, never sorting every note of the user', async () => {
    const { agent } = await signedUpAgent(app);
    const { body: me } = await agent.get('/api/auth/me').expect(200);
    const { pool, db } = connectDatabase(testDatabaseUrl(), { max: 1 });
    try {
      // Enough notes that reading them all and sorting would be a plan worth choosing.
      await pool.query(
        `insert into notes (user_id, title, created_at)
         select $1, 'n' || n, now() - make_interval(secs => n / 1000.0)
         from generate_series(1, 5000) as n`,
        [me.user.id],
      );
      await pool.query('analyze notes');
      // The lists' own query (http/pagination.ts), its placeholders bound as pagedQuery binds them.
      const values: Record<string, unknown> = {
        userId: me.user.id,
        limit: 21,
        afterTime: new Date(),
        afterId: '00000000-0000-4000-8000-000000000000',
      };
      for (const after of [undefined, afterCursor(notes)]) {
        const query = db
          .select()
          .from(notes)
          .where(and(eq(notes.userId, sql.placeholder('userId')), after))
          .orderBy(...newestFirst(notes))
          .limit(sql.placeholder('limit'))
          .toSQL();
        const params = query.params.map((param) =>
          param instanceof Placeholder ? values[param.name] : param,
        );
        const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`explain ${query.sql}`, params);
        const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
        expect(plan).toMatch(/Index Scan using notes_user_created_idx/);
        expect(plan).not.toMatch(/Sort/);
      }
    } finally {
      await pool.end();
    }
  });
});
