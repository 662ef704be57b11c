// A worker killed with SIGKILL in the middle of a job, as a machine that loses power would lose
// it: nothing runs its shutdown. The job stays 'active' in Redis with a lock nobody renews; once
// the lock expires (BullMQ's 30 s), the stalled-job check of the restarted worker puts it back,
// and it runs again. Counted: the file becomes 'ready' once, one run finishes, one thumbnail.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { flatPng } from '../../e2e/png';
import { startRig, statusesOf, waitForFiles, type Rig } from './harness';
import { signUp, upload } from './site';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig({ replicas: 1, workers: 1 });
});
afterAll(() => rig.stop());

describe('a worker killed mid-job', () => {
  it('completes the job exactly once after a restart', async () => {
    const client = rig.client();
    const user = await signUp(client);
    // Large enough to take the worker a while to decode, small on the wire (one flat colour).
    const image = flatPng(6000, 6000);
    const uploaded = await upload(client, 'large.png', image, 'image/png');
    expect(uploaded.status).toBe(201);
    const fileId = uploaded.json.id;
    const jobId = `process-file-${fileId}`;
    const [worker] = rig.stack.processes.workers;
    if (!worker) throw new Error('no worker');

    // The job is under way: the worker has set the row to 'processing' and is decoding.
    await vi.waitFor(
      async () => {
        if (!(await statusesOf(rig, fileId)).includes('processing')) throw new Error('waiting');
      },
      { timeout: 30_000, interval: 10 },
    );
    const killedPid = worker.pid;
    expect(await worker.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const atKill = await statusesOf(rig, fileId);
    expect(rig.logs.find('Job finished', { jobId })).toHaveLength(0);
    expect(atKill.at(-1)).toBe('processing');

    await worker.start();
    expect(worker.pid).not.toBe(killedPid);
    await waitForFiles(rig, [fileId], 'ready', 150_000);
    // Several resume-work runs (every 5 s) later, nothing has run it again.
    await new Promise((resolve) => setTimeout(resolve, 6_000));

    const statuses = await statusesOf(rig, fileId);
    const started = rig.logs.find('Job started', { jobId });
    const finished = rig.logs.find('Job finished', { jobId });
    const thumbnails: string[] = [];
    for await (const object of rig.storage.list(`users/${user.id}/thumbnails/`)) {
      thumbnails.push(object.key);
    }
    console.log(
      `worker kill -9: runs started ${started.length} (killed 1), finished ${finished.length}, ` +
        `statuses ${statuses.join(' → ')}, thumbnails ${thumbnails.length}`,
    );
    expect(statuses.filter((s) => s === 'ready')).toHaveLength(1);
    expect(statuses).not.toContain('failed');
    expect(started).toHaveLength(2);
    expect(finished).toHaveLength(1);
    expect(thumbnails).toEqual([`users/${user.id}/thumbnails/${fileId}.webp`]);
    const thumbnail = await client.get(`/api/files/${fileId}/thumbnail`);
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers['content-type']).toBe('image/webp');
  });
});
