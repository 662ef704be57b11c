// Sessions live in Postgres (the `sessions` table); the cookie holds only a signed id.
// Signing out or expiring a session deletes it on the server: nothing to revoke elsewhere.
import type { Config } from '@shipshape/config';
import connectPgSimple from 'connect-pg-simple';
import session from 'express-session';
import type pg from 'pg';

const PgStore = connectPgSimple(session);
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

export function createSessionStore(pool: pg.Pool, { prune }: { prune: boolean }) {
  return new PgStore({
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
