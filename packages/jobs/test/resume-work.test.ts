// The resume-work job against this file's own database, emptied before each test: it enqueues
// the job of every row still waiting for one, under the row's own jobId, and nothing else.
import { dataExports, files, singleRow } from '@shipshape/db';
import { useTestDatabase } from '@shipshape/db/testing';
import { exportDataJobId, processFileJobId } from '@shipshape/queue';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createJobHandlers } from '../src/handlers';
import { createUser, jobContext, testDeps, uploadFile } from '../src/testing';

useTestDatabase();

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
  beforeEach(async () => {
    await deps.db.delete(files);
    await deps.db.delete(dataExports);
  });

  it('enqueues the job of a file still "uploaded" after a few seconds, under its own jobId', async () => {
    const waiting = await uploadFile(deps, userId, { contentType: 'text/plain' });
    await age(waiting.id, 60);
    await uploadFile(deps, userId, { contentType: 'text/plain' });

    const context = jobContext();
    await resumeWork({}, context);

    // Not the fresh one: its API has only just enqueued it.
    expect(context.enqueued).toEqual([
      {
        name: 'process-file',
        payload: { fileId: waiting.id },
        jobId: processFileJobId(waiting.id),
      },
    ]);
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

    // Not the one idle for a minute, nor the one done.
    expect(context.enqueued.map((job) => job.jobId)).toEqual([processFileJobId(stuck.id)]);
  });

  it('enqueues the job of a pending export, and of one stuck running', async () => {
    const owner = await createUser(deps);
    const pending = await addExport(owner, 'pending', 60);
    const other = await createUser(deps);
    const stuck = await addExport(other, 'running', 3600);
    const third = await createUser(deps);
    await addExport(third, 'pending', 0);

    const context = jobContext();
    await resumeWork({}, context);

    // Not the fresh one, whose API has only just enqueued it.
    const jobIds = context.enqueued.map((job) => job.jobId).sort();
    expect(jobIds).toEqual([exportDataJobId(pending), exportDataJobId(stuck)].sort());
  });
});
