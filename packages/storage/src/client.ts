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
  /**
   * Where a browser reaches the bucket (S3_PUBLIC_ENDPOINT), for the upload URLs signed for it.
   * Unset: `endpoint`. A signature covers the host, so the address signed is the one reached.
   */
  publicEndpoint?: string | undefined;
  region: string;
  bucket: string;
  /** Both unset: the SDK finds credentials itself (environment, instance or task role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `https://host/bucket/key` rather than `https://bucket.host/key`: most S3-compatible servers need it. */
  forcePathStyle: boolean;
  checksumMode: ChecksumMode;
  /** Code defaults suit production; tests shorten them to see a frozen server give up quickly. */
  timeouts?: { connectMs?: number; idleMs?: number };
}

// A server that accepts no connection is given up after this long. Then a connection that
// carries no byte either way for IDLE_TIMEOUT_MS is taken for dead: a frozen server no longer
// holds a request (and, through it, a user) forever. An idle limit, not a total one: a slow but
// moving multipart part or download is never cut, and S3 keeps a long CompleteMultipartUpload
// alive with whitespace. The SDK retries a timed-out request twice (three attempts in all).
const CONNECT_TIMEOUT_MS = 5_000;
const IDLE_TIMEOUT_MS = 30_000;

/** The S3 client behind a Storage. Not exported from the package: everything goes through Storage. */
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
    requestHandler: {
      connectionTimeout: options.timeouts?.connectMs ?? CONNECT_TIMEOUT_MS,
      socketTimeout: options.timeouts?.idleMs ?? IDLE_TIMEOUT_MS,
    },
  });
}

/**
 * A client that only signs URLs for browsers, at the public endpoint. Its checksum setting is
 * always 'WHEN_REQUIRED': otherwise the SDK would put a checksum algorithm into every signed
 * part URL, which S3 then expects a checksum header for that no browser sends.
 */
export function createSigningClient(options: StorageOptions): S3Client {
  return createS3Client({
    ...options,
    endpoint: options.publicEndpoint ?? options.endpoint,
    checksumMode: 'when_required',
  });
}
