import { Router, type Request, type RequestHandler, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { AppPassport } from './passport';
import { HttpError } from '../http/errors';
import { currentUser, requireUser } from './require-user';
import { credentials } from './schema';
import type { UsersService } from './users';

// The same answer for an unknown email and a wrong password: no account enumeration.
const invalidCredentials = () =>
  new HttpError(401, 'invalid_credentials', 'Email or password is incorrect.');

export function authRouter(deps: {
  users: UsersService;
  passport: AppPassport;
  attemptsPerWindow: number;
}) {
  const { users, passport } = deps;
  const router = Router();
  const limitAttempts = () =>
    rateLimit({
      windowMs: 15 * 60 * 1000,
      limit: deps.attemptsPerWindow,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: () => {
        throw new HttpError(
          429,
          'rate_limited',
          'Too many attempts. Wait a few minutes and try again.',
        );
      },
    });

  router.post('/register', limitAttempts(), async (req, res) => {
    const user = await users.register(credentials.parse(req.body));
    await logIn(req, user);
    res.status(201).json({ user });
  });

  router.post('/login', limitAttempts(), async (req, res) => {
    credentials.parse(req.body);
    const user = await authenticate(passport, req, res);
    if (!user) throw invalidCredentials();
    await logIn(req, user);
    res.json({ user: { id: user.id, email: user.email } });
  });

  router.post('/logout', async (req, res) => {
    await logOut(req);
    res.status(204).end();
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
