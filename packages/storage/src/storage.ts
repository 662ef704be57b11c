// Every file the app keeps (uploads, thumbnails, exports) goes through this object,
// so the API and the worker never talk to S3 directly and tests can point it anywhere.
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createS3Client, createSigningClient, type StorageOptions } from './client';
import { multipartUploads, type MultipartUploads } from './multipart';
import { uploadStream, type PutResult, type PutStreamOptions } from './upload';

export interface StoredObject {
  body: Readable;
  contentType: string | undefined;
  contentLength: number | undefined;
}

export interface ObjectInfo {
  size: number;
  contentType: string | undefined;
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface Storage extends MultipartUploads {
  /** Creates the bucket if it does not exist yet. For local development; deployments create it once. */
  ensureBucket(): Promise<void>;
  putStream(key: string, body: Readable, options: PutStreamOptions): Promise<PutResult>;
  putBuffer(key: string, body: Buffer, contentType: string): Promise<PutResult>;
  /** The object's bytes as a stream, or undefined when there is no such key. */
  getStream(key: string): Promise<StoredObject | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Succeeds when the key does not exist, as S3 does. */
  delete(key: string): Promise<void>;
  deleteMany(keys: readonly string[]): Promise<void>;
  /** Every object under `prefix`, fetched one page at a time as you iterate. */
  list(prefix: string, options?: { pageSize?: number }): AsyncIterable<ListedObject>;
  /** For readiness probes: throws when the bucket cannot be reached. */
  check(): Promise<void>;
  close(): void;
}

// DeleteObjects accepts at most this many keys per request.
const DELETE_BATCH = 1000;

export function createStorage(options: StorageOptions): Storage {
  const client = createS3Client(options);
  const signer = createSigningClient(options);
  const Bucket = options.bucket;

  async function bucketExists(): Promise<boolean> {
    try {
      await client.send(new HeadBucketCommand({ Bucket }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  return {
    ...multipartUploads(client, signer, Bucket),

    async ensureBucket() {
      if (await bucketExists()) return;
      try {
        await client.send(new CreateBucketCommand({ Bucket }));
      } catch (error) {
        // Another process may have created it in the meantime; only then is this fine.
        if (!(await bucketExists())) throw error;
      }
    },

    putStream(key, body, putOptions) {
      return uploadStream(client, { bucket: Bucket, key }, body, putOptions);
    },

    async putBuffer(key, body, contentType) {
      const result = await client.send(
        new PutObjectCommand({ Bucket, Key: key, Body: body, ContentType: contentType }),
      );
      return { size: body.length, etag: result.ETag };
    },

    async getStream(key) {
      try {
        const result = await client.send(new GetObjectCommand({ Bucket, Key: key }));
        // In Node the SDK hands back the HTTP response itself, a Readable.
        if (!(result.Body instanceof Readable)) throw new Error('Expected a Node.js stream body');
        return {
          body: result.Body,
          contentType: result.ContentType,
          contentLength: result.ContentLength,
        };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async head(key) {
      try {
        const result = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return { size: result.ContentLength ?? 0, contentType: result.ContentType };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },

    async deleteMany(keys) {
      for (let start = 0; start < keys.length; start += DELETE_BATCH) {
        const batch = keys.slice(start, start + DELETE_BATCH);
        const result = await client.send(
          new DeleteObjectsCommand({
            Bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        // DeleteObjects answers 200 even when some keys failed; the failures are in the body.
        const failed = result.Errors ?? [];
        if (failed.length > 0) {
          const list = failed.map((e) => `${e.Key ?? '?'} (${e.Code ?? 'error'})`).join(', ');
          throw new Error(`Could not delete ${failed.length} object(s): ${list}`);
        }
      }
    },

    async *list(prefix, listOptions = {}) {
      // ListObjects (v1) pages on the last key seen. ListObjectsV2's continuation tokens would
      // do the same, but s3rver makes them with DES, which Node's OpenSSL 3 refuses.
      let marker: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsCommand({
            Bucket,
            Prefix: prefix,
            Marker: marker,
            MaxKeys: listOptions.pageSize,
          }),
        );
        const contents = page.Contents ?? [];
        for (const object of contents) {
          if (object.Key === undefined) continue;
          yield {
            key: object.Key,
            size: object.Size ?? 0,
            lastModified: object.LastModified ?? new Date(0),
          };
        }
        marker = page.IsTruncated ? contents.at(-1)?.Key : undefined;
      } while (marker !== undefined);
    },

    async check() {
      try {
        await client.send(new HeadBucketCommand({ Bucket }));
      } catch (error) {
        throw new Error(`Storage bucket "${Bucket}" is not reachable`, { cause: error });
      }
    },

    close() {
      client.destroy();
      signer.destroy();
    },
  };
}

function isNotFound(error: unknown): boolean {
  return error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404;
}
