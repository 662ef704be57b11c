import { jobWait, useTestDatabase } from '@shipshape/db/testing';
import { createInProcessQueue } from '@shipshape/queue';
import request from 'supertest';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { buildTestApp, signedUpAgent } from './helpers';
import { upload } from './upload';

useTestDatabase();

const app = buildTestApp();

describe('data export', () => {
  it("exports the user's notes and files as JSON, for that user alone", async () => {
    const { agent, email } = await signedUpAgent(app);
    await agent.post('/api/notes').send({ title: 'Remember the milk' }).expect(201);
    await upload(agent, { name: 'hi.txt', bytes: Buffer.from('hi\n') });

    const started = await agent.post('/api/exports').expect(202);
    expect(started.body.status).toMatch(/pending|running|ready/);
    const ready = await vi.waitFor(async () => {
      const { body } = await agent.get(`/api/exports/${started.body.id}`).expect(200);
      expect(body.status).toBe('ready');
      return body;
    }, jobWait);

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

  it('runs one export at a time per user, even when asked twice at once', async () => {
    // Export jobs that wait until the test ends, so the first export is surely still under way.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const queue = createInProcessQueue({
      handlers: {
        'export-data': () => held,
        'process-file': async () => {},
        cleanup: async () => {},
        'resume-work': async () => {},
        backup: async () => {},
        'send-email': async () => {},
        'delete-account': async () => {},
      },
      retry: { attempts: 1, backoffMs: 0 },
    });
    onTestFinished(async () => {
      release();
      await queue.close();
    });
    const slow = buildTestApp({}, { queue });
    const { agent } = await signedUpAgent(slow);
    const [first, second] = await Promise.all([
      agent.post('/api/exports').expect(202),
      agent.post('/api/exports').expect(202),
    ]);
    expect(second.body.id).toBe(first.body.id);
  });

  it('hands back the newest export still downloadable, for a page loaded later', async () => {
    const { agent } = await signedUpAgent(app);
    await agent.get('/api/exports/latest').expect(200, { export: null });

    const started = await agent.post('/api/exports').expect(202);
    await vi.waitFor(async () => {
      const { body } = await agent.get(`/api/exports/${started.body.id}`).expect(200);
      expect(body.status).toBe('ready');
    }, jobWait);
    const latest = await agent.get('/api/exports/latest').expect(200);
    expect(latest.body.export).toMatchObject({ id: started.body.id, status: 'ready' });
    expect(latest.body.export.downloadUrl).toBe(`/api/exports/${started.body.id}/download`);

    const other = await signedUpAgent(app);
    await other.agent.get('/api/exports/latest').expect(200, { export: null });
  });

  it('requires a signed-in user', async () => {
    await request(app).post('/api/exports').expect(401);
  });
});
