import type { StorageOptions } from './client';

/** The environment that points an app process (API or worker) at this storage. */
export function storageEnv(options: StorageOptions): Record<string, string> {
  return {
    ...(options.endpoint && { S3_ENDPOINT: options.endpoint }),
    ...(options.publicEndpoint && { S3_PUBLIC_ENDPOINT: options.publicEndpoint }),
    S3_REGION: options.region,
    S3_BUCKET: options.bucket,
    ...(options.accessKeyId && { S3_ACCESS_KEY_ID: options.accessKeyId }),
    ...(options.secretAccessKey && { S3_SECRET_ACCESS_KEY: options.secretAccessKey }),
    S3_FORCE_PATH_STYLE: String(options.forcePathStyle),
    S3_CHECKSUM: options.checksumMode,
  };
}
