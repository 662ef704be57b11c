export * from './client';
export * from './errors';
export * from './keys';
export * from './storage';
export type { PutResult, PutStreamOptions } from './upload';
