import { z } from 'zod';

const title = z
  .string({ error: 'Enter a title.' })
  .trim()
  .min(1, { error: 'Enter a title.' })
  .max(200, { error: 'Use at most 200 characters.' });
const body = z.string().max(20_000, { error: 'Use at most 20,000 characters.' });

export const noteInput = z.object({ title, body: body.default('') });

export const notePatch = z
  .object({ title, body })
  .partial()
  .refine((patch) => patch.title !== undefined || patch.body !== undefined, {
    error: 'Send a title, a body, or both.',
  });

export type NoteInput = z.infer<typeof noteInput>;
export type NotePatch = z.infer<typeof notePatch>;
