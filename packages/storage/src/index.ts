// The S3 client itself stays inside: the app reaches S3 through Storage alone.
export type { ChecksumMode, StorageOptions } from './client';
export * from './env';
export * from './errors';
export * from './keys';
export { InvalidPartsError, type MultipartUploads, type UploadedPart } from './multipart';
export * from './storage';
export type { PutResult, PutStreamOptions } from './upload';
