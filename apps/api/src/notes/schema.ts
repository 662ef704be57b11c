import { z } from 'zod';

// Postgres text cannot hold the NUL character; refuse it here with a clear message.
const withoutNul = (value: string) => !value.includes('\u0000');
const nulMessage = { error: 'Text cannot contain NUL characters.' };

const title = z
  .string({ error: 'Enter a title.' })
  .trim()
  .min(1, { error: 'Enter a title.' })
  .max(200, { error: 'Use at most 200 characters.' })
  .refine(withoutNul, nulMessage);
const body = z
  .string()
  .max(20_000, { error: 'Use at most 20,000 characters.' })
  .refine(withoutNul, nulMessage);

export const noteInput = z.object({ title, body: body.default('') });

export const notePatch = z
  .object({ title, body })
  .partial()
  .refine((patch) => patch.title !== undefined || patch.body !== undefined, {
    error: 'Send a title, a body, or both.',
  });

export type NoteInput = z.infer<typeof noteInput>;
export type NotePatch = z.infer<typeof notePatch>;
