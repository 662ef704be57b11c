// What the upload protocol answers when it refuses, in words a person can act on.
import { HttpError, notFound } from '../http/errors';
import { formatBytes } from './upload-plan';

export const tooLarge = (maxBytes: number) =>
  new HttpError(413, 'too_large', `Files can be at most ${formatBytes(maxBytes)}.`);

export const quotaExceeded = (left: number) =>
  new HttpError(
    413,
    'quota_exceeded',
    left > 0
      ? `This file does not fit in your storage: ${formatBytes(left)} left. Delete some files first.`
      : 'Your storage is full. Delete some files first.',
  );

export const invalidParts = (message: string) => new HttpError(400, 'invalid_parts', message);

export const alreadyCompleted = () =>
  new HttpError(409, 'already_completed', 'This upload is already complete.');

export const sizeMismatch = (declared: number) =>
  new HttpError(
    422,
    'size_mismatch',
    `The file stored is not the ${formatBytes(declared)} announced, so it was not kept. Upload it again.`,
  );

export const uploadNotFound = () => notFound('Upload');
