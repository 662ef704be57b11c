// What every fault test starts from: the stack as deployed (@shipshape/stack: built bundles, API
// replicas and workers, Caddy over HTTPS) on the suite's own Postgres, a Redis server of the file's own and, when the
// test stops S3, an S3 server of its own; every line the processes log, kept to be counted; a
// record of every status a file or export row goes through, written by triggers in the
// database itself; and clients that talk to the site through Caddy.
import { connectDatabase } from '@shipshape/db';
import { createBullmqQueue, type JobQueue } from '@shipshape/queue';
import { startOwnRedis, type OwnRedis } from '@shipshape/queue/testing';
import { createStorage, type Storage } from '@shipshape/storage';
import type { RestartableS3 } from '@shipshape/storage/embedded';
import { startStack, type Stack } from '@shipshape/stack';
import { inject, vi } from 'vitest';
import { Client, type Reply } from '@shipshape/stack/http';

export interface RigOptions {
  /** A Postgres server URL; default the suite's own (global-setup.ts). */
  postgresUrl?: string;
  replicas?: number;
  workers?: number;
  /** An S3 server the test stops and starts; default an embedded one the stack owns. */
  s3?: RestartableS3;
  /** More environment for the API and workers. */
  env?: Record<string, string>;
  /** Caddy's HTTPS port, when the environment must name the site's address (PUBLIC_URL). */
  port?: number;
}

export interface Rig {
  stack: Stack;
  redis: OwnRedis;
  logs: ProcessLogs;
  /** A pool on the stack's database, for counting rows and transitions. */
  query<R extends object>(sql: string, values?: unknown[]): Promise<R[]>;
  /** The stack's bucket. */
  storage: Storage;
  /** The stack's job queue, as the API enqueues to it. */
  queue(): JobQueue;
  /** A client through Caddy, over HTTPS. */
  client(): Client;
  /** Stops everything it started; servers the test froze or stopped are brought back first. */
  stop(): Promise<void>;
}

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const redis = await startOwnRedis();
  const logs = new ProcessLogs();
  let stack: Stack;
  try {
    stack = await startStack({
      name: 'faults',
      code: 'bundles',
      appEnv: 'production',
      postgres: { server: options.postgresUrl ?? inject('faultsPostgresUrl') },
      redis: redis.url,
      s3: options.s3?.options ?? { embedded: {} },
      replicas: options.replicas ?? 2,
      workers: options.workers ?? 1,
      caddy: { tls: true, port: options.port },
      output: (name, line) => {
        logs.add(name, line);
      },
      // Info, so that every job's start and finish is logged and can be counted.
      env: { LOG_LEVEL: 'info', ...options.env },
    }).ready;
  } catch (error) {
    await redis.remove();
    throw error;
  }
  const { pool } = connectDatabase(stack.env.DATABASE_URL ?? '', { max: 4 });
  // Postgres restarts in one test: an idle client's broken connection must not crash the file.
  pool.on('error', () => undefined);
  await recordTransitions(pool);
  const storage = createStorage({
    endpoint: stack.env.S3_ENDPOINT,
    region: 'us-east-1',
    bucket: stack.env.S3_BUCKET ?? '',
    accessKeyId: stack.env.S3_ACCESS_KEY_ID,
    secretAccessKey: stack.env.S3_SECRET_ACCESS_KEY,
    forcePathStyle: true,
    checksumMode: 'when_required',
  });
  const clients: Client[] = [];
  let queue: JobQueue | undefined;

  return {
    stack,
    redis,
    logs,
    async query<R extends object>(sql: string, values: unknown[] = []) {
      return (await pool.query<R>(sql, values)).rows;
    },
    storage,
    queue() {
      queue ??= createBullmqQueue({
        connection: redis.url,
        prefix: stack.env.REDIS_PREFIX ?? '',
        retry: { attempts: 3, backoffMs: 100 },
      });
      return queue;
    },
    client() {
      const client = new Client(stack.url, { ca: stack.ca, keepAlive: true });
      clients.push(client);
      return client;
    },
    async stop() {
      clients.forEach((client) => {
        client.close();
      });
      redis.thaw();
      await redis.start();
      await options.s3?.start();
      await queue?.close();
      await stack.stop();
      storage.close();
      await pool.end();
      await redis.remove();
    },
  };
}

export interface LogEntry {
  process: string;
  line: string;
  msg?: string;
  job?: string;
  jobId?: string;
  level?: number;
}

/** Every line the API replicas and workers wrote, parsed where it is JSON (APP_ENV=production). */
export class ProcessLogs {
  readonly entries: LogEntry[] = [];

  add(process: string, line: string): void {
    const entry: LogEntry = { process, line };
    if (line.startsWith('{')) {
      try {
        Object.assign(entry, JSON.parse(line) as Partial<LogEntry>, { process, line });
      } catch {
        // Not JSON after all: kept as a line.
      }
    }
    this.entries.push(entry);
  }

  /** Entries with this message, from processes whose name starts with `process` if given. */
  find(msg: string, filter: { jobId?: string; job?: string; process?: string } = {}): LogEntry[] {
    return this.entries.filter(
      (entry) =>
        entry.msg === msg &&
        (filter.jobId === undefined || entry.jobId === filter.jobId) &&
        (filter.job === undefined || entry.job === filter.job) &&
        (filter.process === undefined || entry.process.startsWith(filter.process)),
    );
  }

  /** The last lines, for a failure message. */
  tail(count = 60): string {
    return this.entries
      .slice(-count)
      .map((entry) => `${entry.process}: ${entry.line}`)
      .join('\n');
  }
}

/**
 * Triggers that write every status a file or export row is given, in the order given (an
 * update that sets the same status again counts too: a second run of a job does that). The
 * table is the suite's, added to the stack's database after its migration.
 */
async function recordTransitions(pool: ReturnType<typeof connectDatabase>['pool']) {
  await pool.query(`
    CREATE TABLE fault_transitions (
      seq bigserial PRIMARY KEY,
      kind text NOT NULL,
      row_id uuid NOT NULL,
      old_status text,
      new_status text NOT NULL
    );
    CREATE FUNCTION fault_record_transition() RETURNS trigger AS $$
    BEGIN
      IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status
         OR NEW.status IN ('processing', 'running') THEN
        INSERT INTO fault_transitions (kind, row_id, old_status, new_status)
        VALUES (TG_TABLE_NAME, NEW.id,
                CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END, NEW.status);
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
    CREATE TRIGGER fault_files AFTER INSERT OR UPDATE ON files
      FOR EACH ROW EXECUTE FUNCTION fault_record_transition();
    CREATE TRIGGER fault_exports AFTER INSERT OR UPDATE ON exports
      FOR EACH ROW EXECUTE FUNCTION fault_record_transition();
  `);
}

/** The statuses a row was given, in order: ['uploading', 'uploaded', 'processing', 'ready']. */
export async function statusesOf(rig: Rig, rowId: string): Promise<string[]> {
  const rows = await rig.query<{ new_status: string }>(
    'SELECT new_status FROM fault_transitions WHERE row_id = $1 ORDER BY seq',
    [rowId],
  );
  return rows.map((row) => row.new_status);
}

/** How many times each of these rows was given `status`. */
export async function countStatus(
  rig: Rig,
  rowIds: string[],
  status: string,
): Promise<Map<string, number>> {
  const rows = await rig.query<{ row_id: string; n: string }>(
    `SELECT row_id, count(*) AS n FROM fault_transitions
      WHERE row_id = ANY($1::uuid[]) AND new_status = $2 GROUP BY row_id`,
    [rowIds, status],
  );
  const counts = new Map(rowIds.map((id) => [id, 0]));
  for (const row of rows) counts.set(row.row_id, Number(row.n));
  return counts;
}

/** Waits (time-boxed) until every one of these files has `status`. */
export async function waitForFiles(
  rig: Rig,
  ids: string[],
  status: string,
  timeout = 60_000,
): Promise<void> {
  await vi.waitFor(
    async () => {
      const rows = await rig.query<{ id: string; status: string }>(
        'SELECT id, status FROM files WHERE id = ANY($1::uuid[])',
        [ids],
      );
      const behind = rows.filter((row) => row.status !== status);
      if (rows.length !== ids.length || behind.length > 0) {
        throw new Error(
          `${behind.length} file(s) not ${status} yet: ${behind.map((r) => r.status).join(', ')}`,
        );
      }
    },
    { timeout, interval: 250 },
  );
}

/** Counts per step of a traffic loop: answers by status, and requests that got no answer. */
export interface Tally {
  ok: number;
  failed: number;
  statuses: Record<number, number>;
  errors: string[];
}

export interface TrafficStep {
  name: string;
  send: (client: Client) => Promise<Reply>;
  /** Whether an answer counts as served; default a 2xx. */
  ok?: (answer: Reply) => boolean;
}

/**
 * `loops` clients, each sending the steps in turn, again and again, until `stop`: steady load
 * over kept-alive connections. Every request is counted, none is retried.
 */
export function startTraffic(
  clients: Client[],
  steps: TrafficStep[],
  { pauseMs = 5 }: { pauseMs?: number } = {},
) {
  const tallies = new Map<string, Tally>(
    steps.map((step) => [step.name, { ok: 0, failed: 0, statuses: {}, errors: [] }]),
  );
  let running = true;
  const loops = clients.map(async (client) => {
    while (running) {
      for (const step of steps) {
        const tally = tallies.get(step.name) as Tally;
        try {
          const answer = await step.send(client);
          tally.statuses[answer.status] = (tally.statuses[answer.status] ?? 0) + 1;
          if ((step.ok ?? isSuccess)(answer)) tally.ok++;
          else {
            tally.failed++;
            if (tally.errors.length < 10) {
              tally.errors.push(`${answer.status} ${answer.body.toString().slice(0, 200)}`);
            }
          }
        } catch (error) {
          tally.failed++;
          if (tally.errors.length < 10) tally.errors.push(String(error));
        }
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }
  });
  return {
    tallies,
    /** Total requests so far, for waiting until some have been sent. */
    sent: () => [...tallies.values()].reduce((sum, t) => sum + t.ok + t.failed, 0),
    async stop(): Promise<Map<string, Tally>> {
      running = false;
      await Promise.all(loops);
      return tallies;
    },
  };
}

const isSuccess = (answer: Reply) => answer.status >= 200 && answer.status < 300;

/** A readable summary of tallies, for the test's output and failure messages. */
export function describeTallies(tallies: Map<string, Tally>): string {
  return [...tallies]
    .map(
      ([name, t]) =>
        `${name}: ${t.ok} ok, ${t.failed} failed ${JSON.stringify(t.statuses)}` +
        (t.errors.length ? `\n    ${t.errors.join('\n    ')}` : ''),
    )
    .join('\n');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
