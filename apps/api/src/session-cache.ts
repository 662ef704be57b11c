// Recent sessions, kept in this process's memory so that a signed-in request needs no query
// for its session: that query was a third of a request's CPU (ADR 026).
//
// A copy is only safe while it is known to match its row. The database says when it stops
// matching: triggers (migration 0008) announce every update or deletion of a session, and every
// change to a user, on the channel `session_changes`, whichever code made the change, and this
// process LISTENs on its own connection. So a copy lives until its row changes, its user
// changes, it expires, or the process stops hearing the database:
// - While the LISTEN connection is down, nothing is served from memory or kept: every request
//   reads its session as if there were no cache, and the copies are dropped, since a notice
//   may have been missed. Listening again starts from an empty cache.
// - A read that a notice overtakes is not kept. A session read from the database while a
//   notice arrives may be the old one, so `keep` refuses any read that began before the latest
//   notice (`epoch`).
// - Listening starts only once a notice sent from another connection has been heard: a database
//   that accepts LISTEN but never delivers (the embedded one in `pnpm dev` may not) leaves the
//   cache off.
// A sign-out on one replica reaches the others as fast as Postgres delivers a notice, a few
// milliseconds after the commit: that, not "at the same instant", is the guarantee.
import type { SessionData } from 'express-session';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '@shipshape/logger';

const CHANNEL = 'session_changes';
const RETRY_MS = [100, 500, 2_000, 5_000];
const PROBE_TIMEOUT_MS = 2_000;

interface Entry {
  /** As JSON: each request gets a fresh object to change, parsed from it (cheaper than a clone). */
  json: string;
  userId: string | undefined;
  expiresAt: number;
}

export interface SessionCache {
  /** A copy of the session, or undefined: then read it from the database. */
  get(sid: string): SessionData | undefined;
  /** Taken before reading a session from the database, and handed to `keep` with the result. */
  epoch(): number;
  keep(sid: string, session: SessionData, expiresAt: number, readSince: number): void;
  drop(sid: string): void;
  /** Whether the database's notices are being heard, so copies are kept and served. */
  hearing(): boolean;
  close(): Promise<void>;
}

export function startSessionCache({
  databaseUrl,
  pool,
  logger,
  maxEntries = 10_000,
}: {
  databaseUrl: string;
  /** Sends the probe: a notice from another connection than the one listening. */
  pool: pg.Pool;
  logger: Logger;
  maxEntries?: number;
}): SessionCache {
  // Insertion order is age: the oldest copy is the first dropped when the cache is full.
  const entries = new Map<string, Entry>();
  let notices = 0;
  let listening = false;
  let closed = false;
  let client: pg.Client | undefined;
  let failures = 0;
  let probe: { token: string; heard: () => void } | undefined;

  function forgetEverything() {
    entries.clear();
    notices += 1;
  }

  function onNotice(payload: string) {
    // Probes (this process's, or another replica's as it starts) change nothing.
    if (payload.startsWith('probe:')) {
      if (probe && payload === `probe:${probe.token}`) probe.heard();
      return;
    }
    notices += 1;
    if (payload.startsWith('sid:')) entries.delete(payload.slice(4));
    else if (payload.startsWith('user:')) {
      const userId = payload.slice(5);
      for (const [sid, entry] of entries) if (entry.userId === userId) entries.delete(sid);
    } else entries.clear();
  }

  async function listen() {
    const connection = new pg.Client({ connectionString: databaseUrl });
    client = connection;
    const lost = (error?: Error) => {
      if (client !== connection) return;
      client = undefined;
      listening = false;
      forgetEverything();
      connection.end().catch(() => undefined);
      if (closed) return;
      const wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)] ?? 5_000;
      // Said once per outage, not at every retry. A database that never delivers is no outage.
      if (failures === 0 && error instanceof NoticesUndelivered) {
        logger.info(`${error.message}: every request reads its session from the database`);
      } else if (failures === 0) {
        logger.warn(
          { err: error },
          'not hearing session changes: sessions are read from the database until listening again',
        );
      }
      failures += 1;
      setTimeout(() => void listen(), wait).unref();
    };
    connection.on('error', lost);
    connection.on('end', () => lost());
    connection.on('notification', ({ payload }) => onNotice(payload ?? 'all'));
    try {
      await connection.connect();
      await connection.query(`LISTEN ${CHANNEL}`);
      await heardFromElsewhere();
      if (client !== connection) return;
      // Anything changed before LISTEN took effect went unheard: start from nothing.
      forgetEverything();
      listening = true;
      if (failures > 0) logger.info('hearing session changes again');
      failures = 0;
    } catch (error) {
      lost(error as Error);
    }
  }
  void listen();

  async function heardFromElsewhere() {
    const token = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        probe = { token, heard: resolve };
        timer = setTimeout(() => reject(new NoticesUndelivered()), PROBE_TIMEOUT_MS);
        pool.query('select pg_notify($1, $2)', [CHANNEL, `probe:${token}`]).catch(reject);
      });
    } finally {
      clearTimeout(timer);
      probe = undefined;
    }
  }

  return {
    get(sid) {
      if (!listening) return undefined;
      const entry = entries.get(sid);
      if (!entry) return undefined;
      if (entry.expiresAt <= Date.now()) {
        entries.delete(sid);
        return undefined;
      }
      return JSON.parse(entry.json) as SessionData;
    },
    epoch: () => notices,
    keep(sid, session, expiresAt, readSince) {
      const userId = (session as { passport?: { user?: { id?: unknown } } }).passport?.user?.id;
      // Only a signed-in user's session in today's shape: the user-change notices find it by id.
      if (!listening || readSince !== notices || typeof userId !== 'string') return;
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next().value;
        if (oldest !== undefined) entries.delete(oldest);
      }
      entries.set(sid, { json: JSON.stringify(session), userId, expiresAt });
    },
    drop(sid) {
      entries.delete(sid);
    },
    hearing: () => listening,
    async close() {
      closed = true;
      listening = false;
      entries.clear();
      const connection = client;
      client = undefined;
      await connection?.end().catch(() => undefined);
    },
  };
}

/** LISTEN was accepted and a notice sent, but none arrived (the embedded database of `pnpm dev`). */
class NoticesUndelivered extends Error {
  constructor() {
    super(
      'This database accepts LISTEN but delivers no notices, so sessions are not kept in memory',
    );
  }
}
