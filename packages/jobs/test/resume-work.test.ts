// The resume-work job against the run's shared database: it enqueues the job of every row still
// waiting for one, under the row's own jobId, and leaves alone rows whose job is surely alive.
import { dataExports, files, singleRow } from '@shipshape/db';
import { exportDataJobId, processFileJobId } from '@shipshape/queue';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createJobHandlers } from '../src/handlers';
import { createUser, jobContext, testDeps, uploadFile } from '../src/testing';

const deps = testDeps();
const resumeWork = createJobHandlers(deps)['resume-work'];

/** Moves a row's clock back, as if it had been written that long ago. */
async function age(id: string, seconds: number, status?: 'uploaded' | 'processing' | 'ready') {
  await deps.db
    .update(files)
    .set({ updatedAt: sql`now() - make_interval(secs => ${seconds})`, ...(status && { status }) })
    .where(eq(files.id, id));
}

async function addExport(userId: string, status: 'pending' | 'running', secondsAgo: number) {
  const rows = await deps.db
    .insert(dataExports)
    .values({
      userId,
      status,
      createdAt: sql`now() - make_interval(secs => ${secondsAgo})`,
      expiresAt: new Date(Date.now() + 3_600_000),
    })
    .returning({ id: dataExports.id });
  return singleRow(rows).id;
}

describe('resume-work', () => {
  let userId: string;
  beforeAll(async () => {
    userId = await createUser(deps);
  });

  it('enqueues the job of a file still "uploaded" after a few seconds, under its own jobId', async () => {
    const waiting = await uploadFile(deps, userId, { contentType: 'text/plain' });
    await age(waiting.id, 60);
    const fresh = await uploadFile(deps, userId, { contentType: 'text/plain' });

    const context = jobContext();
    await resumeWork({}, context);

    expect(context.enqueued).toContainEqual({
      name: 'process-file',
      payload: { fileId: waiting.id },
      jobId: processFileJobId(waiting.id),
    });
    // Its API has only just enqueued it.
    expect(context.enqueued.map((job) => job.jobId)).not.toContain(processFileJobId(fresh.id));
  });

  it('takes up a file stuck "processing" only once it has been idle for minutes', async () => {
    const running = await uploadFile(deps, userId, { contentType: 'text/plain' });
    await age(running.id, 60, 'processing');
    const stuck = await uploadFile(deps, userId, { contentType: 'text/plain' });
    await age(stuck.id, 3600, 'processing');
    const done = await uploadFile(deps, userId, { contentType: 'text/plain' });
    await age(done.id, 3600, 'ready');

    const context = jobContext();
    await resumeWork({}, context);

    const jobIds = context.enqueued.map((job) => job.jobId);
    expect(jobIds).toContain(processFileJobId(stuck.id));
    expect(jobIds).not.toContain(processFileJobId(running.id));
    expect(jobIds).not.toContain(processFileJobId(done.id));
  });

  it('enqueues the job of a pending export, and of one stuck running', async () => {
    const owner = await createUser(deps);
    const pending = await addExport(owner, 'pending', 60);
    const other = await createUser(deps);
    const stuck = await addExport(other, 'running', 3600);
    const third = await createUser(deps);
    const fresh = await addExport(third, 'pending', 0);

    const context = jobContext();
    await resumeWork({}, context);

    const jobIds = context.enqueued.map((job) => job.jobId);
    expect(jobIds).toContain(exportDataJobId(pending));
    expect(jobIds).toContain(exportDataJobId(stuck));
    expect(jobIds).not.toContain(exportDataJobId(fresh));
  });
});
