// A passport instance of our own (not the module-level default), so each app built by
// createApp has its own strategies. The session stores who signed in: { id, email }.
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { credentials } from './schema';
import type { SessionUser, UsersService } from './users';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends SessionUser {}
  }
}

export function createPassport(users: UsersService) {
  const passport = new Passport();

  passport.use(
    new LocalStrategy({ usernameField: 'email', session: true }, (email, password, done) => {
      const input = credentials.safeParse({ email, password });
      if (!input.success) {
        done(null, false);
        return;
      }
      users.authenticate(input.data).then((user) => done(null, user ?? false), done);
    }),
  );

  // What a request needs of its user travels in the session, so no request loads the user
  // again. The session store finds a session only while its user exists (session.ts), so a
  // deleted user's session ends all the same. (ADR 026: this was one query per request.)
  passport.serializeUser<SessionUser>((user, done) =>
    done(null, { id: user.id, email: user.email }),
  );
  passport.deserializeUser<SessionUser | string>((stored, done) => {
    if (typeof stored === 'object') {
      done(null, { id: stored.id, email: stored.email });
      return;
    }
    // A session written before sessions held the email holds the id alone: load the user.
    // A deleted user's old session simply becomes signed out.
    users.findById(stored).then((user) => done(null, user ?? false), done);
  });

  return passport;
}

export type AppPassport = ReturnType<typeof createPassport>;
