import { z } from 'zod';

// Emails are identities compared without regard to case: stored as typed in lower case.
export const emailAddress = z
  .string({ error: 'Enter a valid email address.' })
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: 'Enter a valid email address.' }).max(254));

export const newPassword = z
  .string({ error: 'Enter a password.' })
  .min(8, { error: 'Use at least 8 characters.' })
  .max(200, { error: 'Use at most 200 characters.' });

export const credentials = z.object({ email: emailAddress, password: newPassword });

export type Credentials = z.infer<typeof credentials>;
