// s3rver ships no type declarations; this covers the part of it that embedded.ts uses.
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    directory?: string;
    silent?: boolean;
    /** Buckets created at start, each with its configuration documents (CORS, website). */
    configureBuckets?: { name: string; configs: (string | Buffer)[] }[];
  }

  /** Where s3rver keeps buckets on disk; embedded.ts checks the parts of a completion. */
  interface FilesystemStore {
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    putObjectMultipart(
      bucket: string,
      uploadId: string,
      parts: { number: number; etag: string }[],
    ): Promise<unknown>;
  }

  export default class S3rver {
    constructor(options: S3rverOptions);
    store: FilesystemStore;
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}

declare module 's3rver/lib/models/error.js' {
  /** An S3 error answer: its code picks the HTTP status, as S3's own table does. */
  export default class S3Error extends Error {
    constructor(code: string, message?: string);
  }
}
