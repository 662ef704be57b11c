// A passport instance of our own (not the module-level default), so each app built by
// createApp has its own strategies. The session stores only the user id.
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

  passport.serializeUser<string>((user, done) => done(null, user.id));
  passport.deserializeUser<string>((id, done) => {
    // A deleted user's old session simply becomes signed out.
    users.findById(id).then((user) => done(null, user ?? false), done);
  });

  return passport;
}

export type AppPassport = ReturnType<typeof createPassport>;
