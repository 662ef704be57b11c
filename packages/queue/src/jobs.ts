// The jobs the API hands to the worker: one name and one payload schema each.
// Payloads carry ids only; the worker reads the rest from the database, so a retried
// job always sees current data.
import { z } from 'zod';

export const jobSchemas = {
  'process-file': z.object({ fileId: z.uuid() }),
  'export-data': z.object({ exportId: z.uuid() }),
  'send-email': z.object({ emailId: z.uuid() }),
  'delete-account': z.object({ userId: z.uuid() }),
  cleanup: z.object({}),
  'resume-work': z.object({}),
  backup: z.object({}),
};

export type JobName = keyof typeof jobSchemas;
export type JobPayload<N extends JobName> = z.infer<(typeof jobSchemas)[N]>;

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(jobSchemas, name);
}

/** Returns the payload as its schema parses it, or throws a ZodError. */
export function parsePayload<N extends JobName>(name: N, payload: unknown): JobPayload<N> {
  // zod cannot tie the schema picked by a generic key to that key's type; this cast does.
  return jobSchemas[name].parse(payload) as JobPayload<N>;
}

// One job id per row: however often a row's job is enqueued (after its upload, and again by
// 'resume-work' while the row still waits), one job at a time exists for it.
export const processFileJobId = (fileId: string) => `process-file-${fileId}`;
export const exportDataJobId = (exportId: string) => `export-data-${exportId}`;
export const sendEmailJobId = (emailId: string) => `send-email-${emailId}`;
export const deleteAccountJobId = (userId: string) => `delete-account-${userId}`;

/** BullMQ reserves ids that look like integers or contain ':'; both queues refuse them alike. */
export function checkJobId(jobId: string): void {
  if (/^\d+$/.test(jobId) || jobId.includes(':')) {
    throw new Error(`Job id "${jobId}" must not be an integer or contain ':'`);
  }
}
