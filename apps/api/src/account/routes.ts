import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { logOut } from '../auth/routes';
import { currentUser, requireUser } from '../auth/require-user';
import { emailAddress, newPassword } from '../auth/schema';
import type { Database } from '@shipshape/db';
import type { SignInThrottle } from '../auth/throttle';
import { HttpError, notFound } from '../http/errors';
import type { MailOutbox } from '../mail/outbox';
import type { AccountService } from './service';
import { deviceId, endDevice, endSessions, listDevices } from './sessions';

const currentPassword = z.string({ error: 'Enter your current password.' }).min(1, {
  error: 'Enter your current password.',
});
const passwordChange = z.object({ currentPassword, newPassword });
const emailChange = z.object({ currentPassword, newEmail: emailAddress });
const deletion = z.object({ password: currentPassword });

export function accountRouter({
  account,
  db,
  outbox,
  throttle,
}: {
  account: AccountService;
  db: Database;
  outbox: MailOutbox;
  throttle: SignInThrottle;
}) {
  const router = Router();
  router.use(requireUser);

  // The current password asked again is a sign-in: wrong guesses count against the account and
  // the client as at sign-in, so a stolen session cannot be used to guess the password.
  async function withPassword<T>(req: Request, res: Response, action: () => Promise<T>) {
    const attempt = throttle.signInAttempt(req, currentUser(req).email);
    await throttle.refuseIfExhausted(res, attempt);
    try {
      return await action();
    } catch (error) {
      if (error instanceof HttpError && error.code === 'invalid_credentials') {
        await throttle.failed(attempt);
      }
      throw error;
    }
  }

  router.get('/', async (req, res) => {
    res.json({ user: await account.profile(currentUser(req).id) });
  });

  router.post('/password', async (req, res) => {
    const input = passwordChange.parse(req.body);
    const emailIds = await withPassword(req, res, () =>
      account.changePassword(currentUser(req).id, req.sessionID, input),
    );
    await outbox.send(emailIds);
    res.status(204).end();
  });

  router.post('/email', async (req, res) => {
    const input = emailChange.parse(req.body);
    // It mails an address the user chooses: counted like a reset request, per client and address.
    await throttle.spend(res, throttle.mailAttempt(req, input.newEmail));
    const emailIds = await withPassword(req, res, () =>
      account.requestEmailChange(currentUser(req).id, input),
    );
    await outbox.send(emailIds);
    res.status(202).json({
      message: `We have sent a link to ${input.newEmail}. Your address changes when you follow it.`,
      pendingEmail: input.newEmail,
    });
  });

  router.get('/sessions', async (req, res) => {
    res.json({ sessions: await listDevices(db, currentUser(req).id, req.sessionID) });
  });

  router.post('/sessions/revoke-others', async (req, res) => {
    const revoked = await endSessions(db, currentUser(req).id, { except: req.sessionID });
    res.json({ revoked });
  });

  router.delete('/sessions/:id', async (req, res) => {
    if (!(await endDevice(db, currentUser(req).id, req.params.id))) throw notFound('Session');
    // Ending this very session is signing out.
    if (req.params.id === deviceId(req.sessionID)) await logOut(req);
    res.status(204).end();
  });

  router.delete('/', async (req, res) => {
    const { password } = deletion.parse(req.body);
    await withPassword(req, res, () => account.deleteAccount(currentUser(req).id, password));
    // Its row is gone already; this stops express-session from writing it back at the end.
    await logOut(req);
    res.status(202).json({
      message: 'Your account is being deleted. We will send a last mail when everything is gone.',
    });
  });

  return router;
}
