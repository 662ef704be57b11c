// The S3 server stopped under the running API and worker. An upload cannot be stored: it is
// answered 503 at once with a message a person can act on, and leaves nothing behind that the
// cleanup job does not remove (a row that stayed 'uploading' because its object could not be
// deleted either; never an object without its row). Work already accepted (a file to process,
// an export to write) waits for S3 and finishes once it is back, rather than failing.
import { startRestartableS3, type RestartableS3 } from '@shipshape/storage/embedded';
import { afterAll, beforeAll, describe, expect, it, onTestFailed, vi } from 'vitest';
import { flatPng } from '../../e2e/png';
import { Client, type Reply } from '@shipshape/stack/http';
import { countStatus, startRig, statusesOf, waitForFiles, type Rig } from './harness';
import { signUp, upload } from './site';

let s3: RestartableS3;
let rig: Rig;
beforeAll(async () => {
  s3 = await startRestartableS3();
  // A short retry backoff: the jobs' outage budget (nine attempts) is counted in backoffs.
  rig = await startRig({ s3, replicas: 1, workers: 1, env: { JOB_BACKOFF_MS: '200' } });
});
afterAll(async () => {
  await rig.stop();
  await s3.remove();
});

async function readinessChecks(): Promise<{ status: number; storage: string }> {
  const client = new Client(rig.stack.replicaUrls[0] ?? '', { keepAlive: true });
  try {
    const answer = await client.get('/readyz');
    return {
      status: answer.status,
      storage: answer.json.checks.storage ?? '',
    };
  } finally {
    client.close();
  }
}

async function objectsUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of rig.storage.list(prefix)) keys.push(object.key);
  return keys;
}

describe('S3 stopped', () => {
  it('refuses uploads at once with a 503, and leaves nothing behind', async () => {
    const client = rig.client();
    const user = await signUp(client);
    const answers: Reply[] = [];
    await s3.stop();
    try {
      await vi.waitFor(async () => {
        expect(await readinessChecks()).toEqual({ status: 503, storage: 'unavailable' });
      });
      for (const [name, bytes, type] of [
        ['notes.txt', Buffer.from('sent while S3 was down\n'), 'text/plain'],
        ['picture.png', flatPng(300, 200), 'image/png'],
        ['large.png', flatPng(3000, 3000), 'image/png'],
      ] as const) {
        // Client-side timeout: an answer that does not come within it fails the request.
        answers.push(await upload(client, name, bytes, type));
      }
      for (const answer of answers) {
        expect(answer.status).toBe(503);
        expect(answer.headers['retry-after']).toBe('5');
        expect(answer.json).toEqual({
          error: {
            code: 'service_unavailable',
            message:
              'The service is briefly unavailable. Nothing was changed; try again in a moment.',
          },
        });
      }
      // Nothing the user can see: no file in their list.
      const listed = await client.get('/api/files');
      expect(listed.json.files).toEqual([]);
    } finally {
      await s3.start();
    }
    await vi.waitFor(async () => {
      expect(await readinessChecks()).toEqual({ status: 200, storage: 'ok' });
    });

    // What the failed uploads left: rows still 'uploading' whose objects could not be deleted
    // while S3 was down. The cleanup job removes an upload idle for a whole cleanup period;
    // the rows are aged by that much here, then the job is run, as its schedule would.
    const leftRows = await rig.query<{ id: string; status: string }>(
      'SELECT id, status FROM files WHERE user_id = $1',
      [user.id],
    );
    const leftObjects = await objectsUnder(`users/${user.id}/`);
    expect(leftRows.every((row) => row.status === 'uploading')).toBe(true);
    await rig.query(`UPDATE files SET updated_at = now() - interval '2 hours' WHERE user_id = $1`, [
      user.id,
    ]);
    const cleanupsBefore = rig.logs.find('Cleanup finished').length;
    await rig.queue().enqueue('cleanup', {});
    await vi.waitFor(
      () => {
        expect(rig.logs.find('Cleanup finished').length).toBeGreaterThan(cleanupsBefore);
      },
      { timeout: 30_000, interval: 200 },
    );
    const rowsAfter = await rig.query('SELECT id FROM files WHERE user_id = $1', [user.id]);
    const objectsAfter = await objectsUnder(`users/${user.id}/`);
    console.log(
      `S3 stopped: ${answers.length} uploads answered ${JSON.stringify(answers.map((a) => a.status))}; ` +
        `left behind ${leftRows.length} 'uploading' row(s) and ${leftObjects.length} object(s); ` +
        `after cleanup ${rowsAfter.length} row(s), ${objectsAfter.length} object(s)`,
    );
    expect(rowsAfter).toEqual([]);
    expect(objectsAfter).toEqual([]);
  });

  it('finishes the files and exports in progress once it is back', async () => {
    onTestFailed(() => {
      console.log(rig.logs.tail(40));
    });
    const client = rig.client();
    const user = await signUp(client);
    const [worker] = rig.stack.processes.workers;
    if (!worker) throw new Error('no worker');

    // Work accepted while S3 is up, but not yet started: the worker is frozen meanwhile.
    worker.signal('SIGSTOP');
    let fileId: string;
    let exportId: string;
    try {
      const uploaded = await upload(client, 'picture.png', flatPng(600, 400), 'image/png');
      expect(uploaded.status).toBe(201);
      fileId = uploaded.json.id;
      const requested = await client.post('/api/exports');
      expect(requested.status).toBe(202);
      exportId = requested.json.id;
      await s3.stop();
    } finally {
      worker.signal('SIGCONT');
    }
    try {
      // Both jobs meet the outage and are retried.
      await vi.waitFor(
        () => {
          for (const jobId of [`process-file-${fileId}`, `export-data-${exportId}`]) {
            expect(
              rig.logs.find('Job failed; it will be retried', { jobId }).length,
            ).toBeGreaterThan(0);
          }
        },
        { timeout: 30_000, interval: 100 },
      );
    } finally {
      await s3.start();
    }

    await waitForFiles(rig, [fileId], 'ready', 90_000);
    await vi.waitFor(
      async () => {
        const exported = await client.get(`/api/exports/${exportId}`);
        expect(exported.json).toMatchObject({ status: 'ready' });
      },
      { timeout: 90_000, interval: 250 },
    );
    const download = await client.get(`/api/exports/${exportId}/download`);
    expect(download.status).toBe(200);
    expect(download.json).toMatchObject({ user: { id: user.id } });
    const thumbnail = await client.get(`/api/files/${fileId}/thumbnail`);
    expect(thumbnail.status).toBe(200);

    const retries = (jobId: string) => rig.logs.find('Job failed; it will be retried', { jobId });
    const fileStatuses = await statusesOf(rig, fileId);
    const exportStatuses = await statusesOf(rig, exportId);
    console.log(
      `S3 stopped mid-work: file ${fileStatuses.join(' → ')} after ` +
        `${retries(`process-file-${fileId}`).length} failed attempt(s); export ` +
        `${exportStatuses.join(' → ')} after ${retries(`export-data-${exportId}`).length}`,
    );
    expect(fileStatuses).not.toContain('failed');
    expect(exportStatuses).not.toContain('failed');
    expect([...(await countStatus(rig, [fileId, exportId], 'ready')).values()]).toEqual([1, 1]);
  });
});
