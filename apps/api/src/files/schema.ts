// The bodies of the upload protocol's requests (docs/decisions/031-uploads-straight-to-s3.md).
import { z } from 'zod';

// S3 numbers parts from 1 to 10,000; one request signs at most 100 of them.
const partNumber = z.number().int().min(1).max(10_000);

export const startUploadBody = z.object({
  name: z.string().max(1024),
  size: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  type: z.string().max(255),
  // Checked by the service: a note that is not a uuid is as unknown as any other (404).
  noteId: z.string().max(100).optional(),
});

export const signPartsBody = z.object({
  partNumbers: z.array(partNumber).min(1).max(100),
});

export const completeUploadBody = z.object({
  parts: z
    .array(z.object({ partNumber, etag: z.string().min(1).max(1024) }))
    .min(1)
    .max(10_000),
});

export type StartUpload = z.infer<typeof startUploadBody>;
export type CompletedPart = z.infer<typeof completeUploadBody>['parts'][number];
