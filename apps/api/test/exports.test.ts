import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildTestApp, eventually, signedUpAgent } from './helpers';

const app = buildTestApp();

describe('data export', () => {
  it("exports the user's notes and files as JSON, for that user alone", async () => {
    const { agent, email } = await signedUpAgent(app);
    await agent.post('/api/notes').send({ title: 'Remember the milk' }).expect(201);
    await agent
      .post('/api/files')
      .attach('file', Buffer.from('hi\n'), { filename: 'hi.txt' })
      .expect(201);

    const started = await agent.post('/api/exports').expect(202);
    expect(started.body.status).toMatch(/pending|running|ready/);
    const ready = await eventually(
      async () => (await agent.get(`/api/exports/${started.body.id}`).expect(200)).body,
      (row) => row.status === 'ready',
    );

    const download = await agent.get(ready.downloadUrl).expect(200);
    expect(download.headers['content-disposition']).toMatch(
      /^attachment; filename="shipshape-export-/,
    );
    const archive = JSON.parse(download.text);
    expect(archive.user.email).toBe(email);
    expect(archive.notes.map((n: { title: string }) => n.title)).toEqual(['Remember the milk']);
    expect(archive.files.map((f: { originalName: string }) => f.originalName)).toEqual(['hi.txt']);

    const other = await signedUpAgent(app);
    await other.agent.get(`/api/exports/${started.body.id}`).expect(404);
    await other.agent.get(`/api/exports/${started.body.id}/download`).expect(404);
  });

  it('requires a signed-in user', async () => {
    await request(app).post('/api/exports').expect(401);
  });
});
