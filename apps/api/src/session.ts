// Sessions live in Postgres (the `sessions` table); the cookie holds only a signed id.
// Signing out or expiring a session deletes it on the server: nothing to revoke elsewhere.
// Every replica reads the same row. The API process keeps recent sessions in memory, and drops
// a copy the moment the database announces that its row or its user changed (session-cache.ts),
// so a sign-out on one replica is honoured by the others within milliseconds.
import type { Config } from '@shipshape/config';
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import type pg from 'pg';
import type { SessionCache } from './session-cache';

const PgStore = connectPgSimple(session);
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

// The session holds who signed in ({ id, email } under passport.user, see auth/passport.ts), so
// a request needs no second query to load the user. The row is found only while that user still
// exists and is not being deleted: deleting a user ends their sessions at once, in the same query.
const READ_SESSION = `
  SELECT s.sess, s.expire FROM sessions s
  WHERE s.sid = $1 AND s.expire >= now()
    AND (json_typeof(s.sess #> '{passport,user}') IS DISTINCT FROM 'object'
         OR EXISTS (SELECT 1 FROM users u WHERE u.id = (s.sess #>> '{passport,user,id}')::uuid
                                            AND u.deleted_at IS NULL))`;

type Done<T = void> = (error?: unknown, result?: T) => void;

class SessionStore extends PgStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly cache: SessionCache | undefined,
    options: connectPgSimple.PGStoreOptions,
  ) {
    super(options);
  }

  override get(sid: string, done: Done<session.SessionData | null>) {
    const copy = this.cache?.get(sid);
    if (copy) {
      done(null, copy);
      return;
    }
    const readSince = this.cache?.epoch() ?? 0;
    this.pool
      .query<{ sess: session.SessionData; expire: Date }>(READ_SESSION, [sid])
      .then(({ rows: [row] }) => {
        if (row) this.cache?.keep(sid, row.sess, row.expire.getTime(), readSince);
        done(null, row?.sess ?? null);
      }, done);
  }

  // This process's own copy goes at once; the row's trigger tells every other process.
  override set(sid: string, data: session.SessionData, done?: Done) {
    this.cache?.drop(sid);
    super.set(sid, data, done);
  }

  override destroy(sid: string, done?: Done) {
    this.cache?.drop(sid);
    super.destroy(sid, done);
  }
}

/** `cache`: recent sessions kept in memory until their rows change (session-cache.ts). */
export function createSessionStore(
  pool: pg.Pool,
  { prune, cache }: { prune: boolean; cache?: SessionCache },
) {
  return new SessionStore(pool, cache, {
    pool,
    tableName: 'sessions',
    createTableIfMissing: false, // the table comes from our migrations
    // Without this the store rewrites the expiry on every request: a database write per GET.
    disableTouch: true,
    // Deleting expired rows is a periodic job; tests turn it off to leave no timers behind.
    pruneSessionInterval: prune ? 15 * 60 : false,
  });
}

export function sessionMiddleware(config: Config, store: session.Store) {
  return session({
    name: 'shipshape.sid',
    secret: config.sessionSecret,
    store,
    resave: false,
    saveUninitialized: false, // no row and no cookie until someone signs in
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: !config.isLocal, // HTTPS only, except on a laptop over plain http
      maxAge: WEEK_MS,
    },
  });
}
