import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AppPassport } from './passport';
import { HttpError } from '../http/errors';
import { currentUser, requireUser } from './require-user';
import { credentials } from './schema';
import type { SignInThrottle } from './throttle';
import type { UsersService } from './users';

// The same answer for an unknown email and a wrong password: no account enumeration.
const invalidCredentials = () =>
  new HttpError(401, 'invalid_credentials', 'Email or password is incorrect.');

// Telling a taken email apart is deliberate (ADR 016); failed sign-ups count against the IP.
const emailTaken = () =>
  new HttpError(409, 'email_taken', 'An account with this email already exists.', {
    email: 'An account with this email already exists.',
  });

export function authRouter(deps: {
  users: UsersService;
  passport: AppPassport;
  throttle: SignInThrottle;
}) {
  const { users, passport, throttle } = deps;
  const router = Router();

  router.post('/register', async (req, res) => {
    const input = credentials.parse(req.body);
    const attempt = throttle.signUpAttempt(req, input.email);
    await throttle.refuseIfExhausted(res, attempt);
    const user = await users.register(input);
    if (!user) {
      await throttle.failed(attempt);
      throw emailTaken();
    }
    await throttle.succeeded(res, attempt);
    await logIn(req, user);
    res.status(201).json({ user });
  });

  router.post('/login', async (req, res) => {
    const { email } = credentials.parse(req.body);
    const attempt = throttle.signInAttempt(req, email);
    // Before the password is checked: a refused guess costs no argon2 time and reveals nothing.
    await throttle.refuseIfExhausted(res, attempt);
    const user = await authenticate(passport, req, res);
    if (!user) {
      await throttle.failed(attempt);
      throw invalidCredentials();
    }
    await throttle.succeeded(res, attempt);
    await logIn(req, user);
    res.json({ user: { id: user.id, email: user.email } });
  });

  router.post('/logout', async (req, res) => {
    await logOut(req);
    res.status(204).end();
  });

  // Who is signed in, for a page deciding what to show: nobody is an answer (null), not an
  // error, so a signed-out visit logs no failed request. Protected routes still answer 401.
  router.get('/session', (req, res) => {
    res.json({ user: req.user ? { id: req.user.id, email: req.user.email } : null });
  });

  router.get('/me', requireUser, (req, res) => {
    const { id, email } = currentUser(req);
    res.json({ user: { id, email } });
  });

  return router;
}

// passport's callback-style API, wrapped in promises for Express 5's async handlers.
function authenticate(passport: AppPassport, req: Request, res: Response) {
  return new Promise<Express.User | false>((resolve, reject) => {
    const handler = passport.authenticate(
      'local',
      (error: Error | null, user: Express.User | false) => {
        if (error) reject(error);
        else resolve(user);
      },
    ) as RequestHandler;
    void handler(req, res, reject);
  });
}

// req.login regenerates the session id first, which defeats session fixation.
function logIn(req: Request, user: Express.User) {
  return new Promise<void>((resolve, reject) => {
    req.login(user, (error) => (error ? reject(error as Error) : resolve()));
  });
}

function logOut(req: Request) {
  return new Promise<void>((resolve, reject) => {
    req.logout((error) => (error ? reject(error as Error) : resolve()));
  });
}
