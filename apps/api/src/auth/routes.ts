import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { recordDevice } from '../account/sessions';
import { HttpError } from '../http/errors';
import type { MailOutbox } from '../mail/outbox';
import type { AppPassport } from './passport';
import { emailTaken, type RecoveryService } from './recovery';
import { currentUser, requireUser } from './require-user';
import { credentials, emailAddress, newPassword } from './schema';
import type { SignInThrottle } from './throttle';
import { linkInvalid, tokenInput } from './tokens';
import type { UsersService } from './users';

// The same answer for an unknown email and a wrong password: no account enumeration.
const invalidCredentials = () =>
  new HttpError(401, 'invalid_credentials', 'Email or password is incorrect.');

// Said whether or not an account uses the address: the answer reveals nothing (ASVS 2.5.7).
const RESET_SENT =
  'If an account uses that address, we have sent it a link to choose a new password. It works for 30 minutes.';

const tokenBody = z.object({ token: tokenInput });
const resetBody = z.object({ token: tokenInput, password: newPassword });

export function authRouter(deps: {
  users: UsersService;
  recovery: RecoveryService;
  passport: AppPassport;
  throttle: SignInThrottle;
  outbox: MailOutbox;
}) {
  const { users, recovery, passport, throttle, outbox } = deps;
  const router = Router();

  router.post('/register', async (req, res) => {
    const input = credentials.parse(req.body);
    // Every sign-up counts against the client, so one cannot open accounts without end.
    await throttle.spend(res, throttle.mailAttempt(req));
    const attempt = throttle.signUpAttempt(req, input.email);
    await throttle.refuseIfExhausted(res, attempt);
    const registered = await users.register(input);
    if (!registered) {
      await throttle.failed(attempt);
      throw emailTaken();
    }
    await throttle.succeeded(res, attempt);
    await logIn(req, registered.user);
    await outbox.send([registered.emailId]);
    res.status(201).json({ user: registered.user });
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
    res.json({ user: await users.findById(user.id) });
  });

  router.post('/logout', async (req, res) => {
    await logOut(req);
    res.status(204).end();
  });

  // Who is signed in, for a page deciding what to show: nobody is an answer (null), not an
  // error, so a signed-out visit logs no failed request. Protected routes still answer 401.
  router.get('/session', async (req, res) => {
    res.json({ user: req.user ? ((await users.findById(req.user.id)) ?? null) : null });
  });

  router.get('/me', requireUser, (req, res) => {
    const { id, email } = currentUser(req);
    res.json({ user: { id, email } });
  });

  // The links in mail. A link we do not know counts against the client like a wrong password.
  async function followLink<T>(req: Request, res: Response, use: () => Promise<T>): Promise<T> {
    const attempt = throttle.linkAttempt(req);
    await throttle.refuseIfExhausted(res, attempt);
    try {
      return await use();
    } catch (error) {
      if (error instanceof HttpError && error.code === 'link_invalid')
        await throttle.failed(attempt);
      throw error;
    }
  }

  router.post('/verify-email', async (req, res) => {
    const { token } = parseLink(tokenBody, req.body);
    const user = await followLink(req, res, () => recovery.verifyEmail(token));
    res.json({ user });
  });

  router.post('/verify-email/resend', requireUser, async (req, res) => {
    const { id, email } = currentUser(req);
    await throttle.spend(res, throttle.mailAttempt(req, email));
    const emailId = await recovery.resendVerification(id);
    if (!emailId) {
      throw new HttpError(409, 'already_verified', 'Your address is verified already.');
    }
    await outbox.send([emailId]);
    res.status(202).json({ message: `We have sent a new link to ${email}.` });
  });

  router.post('/forgot-password', async (req, res) => {
    const { email } = z.object({ email: emailAddress }).parse(req.body);
    await throttle.spend(res, throttle.mailAttempt(req, email));
    await outbox.send(await recovery.requestReset(email));
    res.status(202).json({ message: RESET_SENT });
  });

  router.post('/reset-password', async (req, res) => {
    const { token, password } = parseLink(resetBody, req.body);
    const emailIds = await followLink(req, res, () => recovery.resetPassword(token, password));
    await outbox.send(emailIds);
    res.json({ message: 'Your password has been changed. Sign in with the new one.' });
  });

  router.post('/confirm-email', async (req, res) => {
    const { token } = parseLink(tokenBody, req.body);
    const { user, emailIds } = await followLink(req, res, () => recovery.confirmEmailChange(token));
    await outbox.send(emailIds);
    res.json({ user });
  });

  return router;
}

/** A body whose token is malformed is a link that does not work, said the same way. */
function parseLink<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  if (parsed.error.issues.some((issue) => issue.path[0] === 'token')) throw linkInvalid();
  throw parsed.error;
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

// req.login regenerates the session id first, which defeats session fixation. The new session
// remembers where it began, for the list of signed-in devices.
function logIn(req: Request, user: Express.User) {
  return new Promise<void>((resolve, reject) => {
    req.login({ id: user.id, email: user.email }, (error) => {
      if (error) {
        reject(error as Error);
        return;
      }
      recordDevice(req);
      resolve();
    });
  });
}

export function logOut(req: Request) {
  return new Promise<void>((resolve, reject) => {
    req.logout((error) => (error ? reject(error as Error) : resolve()));
  });
}
