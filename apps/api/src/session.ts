// Sessions live in Postgres (the `sessions` table); the cookie holds only a signed id.
// Signing out or expiring a session deletes it on the server: nothing to revoke elsewhere.
// Every replica reads the same row. The API process keeps recent sessions in memory, and drops
// a copy the moment the database announces that its row or its user changed (session-cache.ts),
// so a sign-out on one replica is honoured by the others within milliseconds.
import { randomBytes } from 'node:crypto';
import type { Config } from '@shipshape/config';
import connectPgSimple from 'connect-pg-simple';
import { parse, serialize, type SerializeOptions } from 'cookie';
import { sign, unsign } from 'cookie-signature';
import type { Request, RequestHandler } from 'express';
import session from 'express-session';
import onHeaders from 'on-headers';
import type pg from 'pg';
import type { SessionCache } from './session-cache';

const PgStore = connectPgSimple(session);
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;
export const SESSION_COOKIE = 'shipshape.sid';

// The session holds who signed in ({ id, email } under passport.user, see auth/passport.ts), so
// a request needs no second query to load the user. The row is found only while that user still
// exists, is not being deleted and is not disabled by an admin: either ends their sessions at
// once, in the same query.
const READ_SESSION = `
  SELECT s.sess, s.expire FROM sessions s
  WHERE s.sid = $1 AND s.expire >= now()
    AND (json_typeof(s.sess #> '{passport,user}') IS DISTINCT FROM 'object'
         OR EXISTS (SELECT 1 FROM users u WHERE u.id = (s.sess #>> '{passport,user,id}')::uuid
                                            AND u.deleted_at IS NULL AND u.disabled_at IS NULL))`;

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

/**
 * The session middleware: express-session's decisions, with its own Session, Cookie and Store
 * classes, made with less work per request (ADR 033). A request with a session cookie has it
 * verified (HMAC-SHA256, compared in constant time) and its session read from the store (from
 * memory, mostly: session-cache.ts). At the end, the session is saved only if it changed, and
 * the cookie is sent again only then: with a new id after signing in, or a fresh expiry.
 * express-session's middleware decides the same by hashing the session (JSON with a replacer,
 * then SHA-1) four times per request, and compares the signature by hashing it twice more.
 */
export function sessionMiddleware(config: Config, sessionStore: session.Store): RequestHandler {
  const store = sessionStore as StoreThatGenerates;
  const secret = config.sessionSecret;
  const cookieOptions: session.CookieOptions = {
    httpOnly: true,
    sameSite: 'lax',
    secure: !config.isLocal, // HTTPS only, except on a laptop over plain http
    maxAge: WEEK_MS,
  };

  // A new, empty session: no row and no cookie until it holds something (someone signs in).
  // Session#regenerate calls this too, through the store.
  store.generate = (req) => {
    // 24 random bytes, as express-session's ids (uid-safe): 192 bits nobody can guess.
    req.sessionID = randomBytes(24).toString('base64url');
    req.session = new Session(req);
    req.session.cookie = new Cookie(cookieOptions);
  };

  return (req, res, next) => {
    req.sessionStore = store;
    const cookieId = signedSessionId(req.headers.cookie, secret);
    let originalId: string;
    let originalContent: string;
    let savedContent: string | undefined;

    const isModified = (sess: session.Session) =>
      originalId !== sess.id || originalContent !== content(sess);
    const isSaved = (sess: session.Session) =>
      originalId === sess.id && savedContent === content(sess);

    // Remembers what the request's own session last saved, as express-session's save does.
    const track = (sess: session.Session) => {
      const save = sess.save.bind(sess);
      Object.defineProperty(sess, 'save', {
        configurable: true,
        enumerable: false,
        writable: true,
        value(done?: (error?: unknown) => void) {
          savedContent = content(sess);
          return save(done);
        },
      });
    };

    onHeaders(res, () => {
      const sess = req.session as session.Session | undefined;
      if (!sess || !isModified(sess)) return;
      // A Secure cookie is sent only over HTTPS (req.secure believes X-Forwarded-Proto from a
      // trusted proxy, TRUST_PROXY).
      if (sess.cookie.secure && !req.secure) return;
      sess.touch(); // the expiry starts again from now
      const { data } = sess.cookie as CookieWithData;
      res.appendHeader(
        'Set-Cookie',
        serialize(SESSION_COOKIE, `s:${sign(req.sessionID, secret)}`, data),
      );
    });

    // The session is saved before the answer ends, so the client's next request finds it.
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    let saving = true;
    res.end = ((...args: unknown[]) => {
      const sess = req.session as session.Session | undefined;
      const mustSave =
        saving &&
        sess &&
        (savedContent === undefined && cookieId !== req.sessionID
          ? isModified(sess)
          : !isSaved(sess));
      if (!sess || !mustSave) return end(...args);
      saving = false;
      sess.touch();
      sess.save((error) => {
        // As with express-session, the answer goes out anyway: it may be the error handler's own.
        if (error) req.log.error({ err: error }, 'could not save the session');
        end(...args);
      });
      return res;
    }) as typeof res.end;

    const start = () => {
      originalId = req.sessionID;
      // A session just loaded was measured for savedContent: the same string.
      originalContent = savedContent ?? content(req.session);
      track(req.session);
      next();
    };
    if (!cookieId) {
      store.generate(req);
      start();
      return;
    }
    store.get(cookieId, (error, data) => {
      if (error) {
        next(error);
        return;
      }
      if (data) {
        req.sessionID = cookieId;
        store.createSession(req, data);
        // An unchanged session loaded from the store needs no saving.
        savedContent = content(req.session);
      } else {
        store.generate(req);
      }
      start();
    });
  };
}

// express-session's own classes, which its types declare without their constructors (private)
// and without Cookie#data, the cookie's attributes as the Set-Cookie header needs them.
type StoreThatGenerates = Request['sessionStore'];
type CookieWithData = session.Cookie & { data: SerializeOptions };
const Session = session.Session as unknown as new (req: unknown) => session.Session;
const Cookie = session.Cookie as unknown as new (options: session.CookieOptions) => session.Cookie;

/** The session id in the request's cookie, if its signature is ours; undefined otherwise. */
function signedSessionId(header: string | undefined, secret: string): string | undefined {
  const value = header ? parse(header)[SESSION_COOKIE] : undefined;
  if (!value?.startsWith('s:')) return undefined;
  return unsign(value.slice(2), secret) || undefined;
}

/** What the session holds, cookie aside: compared to know whether the request changed it. */
function content(sess: session.Session): string {
  const { cookie: _cookie, ...data } = sess;
  return JSON.stringify(data);
}
