export { UnrecoverableError } from 'bullmq';
export * from './bullmq-queue';
export * from './bullmq-worker';
export * from './in-process';
export * from './jobs';
export * from './queue';
export { deleteKeysWithPrefix, type RedisConnectionOptions } from './redis';
