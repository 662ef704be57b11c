import { S3Client } from '@aws-sdk/client-s3';

/**
 * 'when_supported' is the SDK default and right for AWS S3. 'when_required' is for
 * S3-compatible servers (s3rver, older MinIO, many hosted providers) that do not decode the
 * `aws-chunked` bodies the SDK sends with checksums and would store the framing in the object.
 */
export type ChecksumMode = 'when_supported' | 'when_required';

export interface StorageOptions {
  /** Unset for AWS S3; the URL of an S3-compatible server otherwise. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Both unset: the SDK finds credentials itself (environment, instance or task role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `https://host/bucket/key` rather than `https://bucket.host/key`: most S3-compatible servers need it. */
  forcePathStyle: boolean;
  checksumMode: ChecksumMode;
}

/** The S3 client behind a Storage; exported for what Storage does not wrap, such as presigned URLs. */
export function createS3Client(options: StorageOptions): S3Client {
  const checksums = options.checksumMode === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  const { accessKeyId, secretAccessKey } = options;
  return new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
  });
}
