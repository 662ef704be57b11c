import { z } from 'zod';

export const credentials = z.object({
  email: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.email({ error: 'Enter a valid email address.' }).max(254)),
  password: z
    .string({ error: 'Enter a password.' })
    .min(8, { error: 'Use at least 8 characters.' })
    .max(200, { error: 'Use at most 200 characters.' }),
});

export type Credentials = z.infer<typeof credentials>;
