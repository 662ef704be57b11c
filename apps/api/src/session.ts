// Sessions live in Postgres (the `sessions` table); the cookie holds only a signed id.
// Signing out or expiring a session deletes it on the server: nothing to revoke elsewhere.
// Every replica reads the same row, so a sign-out on one is seen by the others at once: no copy
// of a session is kept in a process's memory (ADR 026 measured what such a cache would buy).
import type { Config } from '@shipshape/config';
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import type pg from 'pg';

const PgStore = connectPgSimple(session);
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

// The session holds who signed in ({ id, email } under passport.user, see auth/passport.ts), so
// a request needs no second query to load the user. The row is found only while that user still
// exists and is not being deleted: deleting a user ends their sessions at once, in the same query.
const READ_SESSION = `
  SELECT s.sess FROM sessions s
  WHERE s.sid = $1 AND s.expire >= now()
    AND (json_typeof(s.sess #> '{passport,user}') IS DISTINCT FROM 'object'
         OR EXISTS (SELECT 1 FROM users u WHERE u.id = (s.sess #>> '{passport,user,id}')::uuid
                                            AND u.deleted_at IS NULL))`;

class SessionStore extends PgStore {
  constructor(
    private readonly pool: pg.Pool,
    options: connectPgSimple.PGStoreOptions,
  ) {
    super(options);
  }

  override get(sid: string, done: (error: unknown, session?: session.SessionData | null) => void) {
    this.pool
      .query<{ sess: session.SessionData }>(READ_SESSION, [sid])
      .then(({ rows }) => done(null, rows[0]?.sess ?? null), done);
  }
}

export function createSessionStore(pool: pg.Pool, { prune }: { prune: boolean }) {
  return new SessionStore(pool, {
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
