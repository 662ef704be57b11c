// The S3 side of uploads that go from the browser straight to the bucket: the API starts a
// multipart upload, signs one URL per part for the browser, and completes or aborts it. No byte
// of the file passes through here (docs/decisions/031-uploads-straight-to-s3.md).
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  S3ServiceException,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

// The presigner (3.1178) was built against newer @smithy types than the S3 client (3.1169):
// the same classes at runtime, two declarations to the compiler. Until both are one version,
// the client and command are handed over as the presigner's own types.
type PresignerClient = Parameters<typeof getSignedUrl>[0];
type PresignerCommand = Parameters<typeof getSignedUrl>[1];

export interface UploadedPart {
  partNumber: number;
  etag: string;
}

export interface MultipartUploads {
  /** Starts a multipart upload of `key` and returns its upload id. */
  startMultipartUpload(key: string, contentType: string): Promise<string>;
  /**
   * A URL the browser PUTs exactly `size` bytes to, valid for `expiresInSeconds`. The length is
   * signed: S3 refuses a body of any other length (content-length is a signed header).
   */
  signUploadPart(
    target: { key: string; uploadId: string },
    part: { partNumber: number; size: number },
    expiresInSeconds: number,
  ): Promise<string>;
  /** Throws InvalidPartsError when S3 says the parts are not this upload's. */
  completeMultipartUpload(
    target: { key: string; uploadId: string },
    parts: readonly UploadedPart[],
  ): Promise<void>;
  /** Discards the parts. An upload S3 no longer knows, or a server without the call, is fine. */
  abortMultipartUpload(target: { key: string; uploadId: string }): Promise<void>;
}

/** S3 refused the list of parts: an ETag it does not hold for this upload, or a part too small. */
export class InvalidPartsError extends Error {
  constructor(cause: unknown) {
    super('The parts are not those of this upload', { cause });
    this.name = 'InvalidPartsError';
  }
}

// What CompleteMultipartUpload answers when the list of parts is wrong (AWS S3 API reference,
// CompleteMultipartUpload, "Special errors"): never worth a retry with the same list.
const invalidParts = new Set(['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall', 'NoSuchUpload']);

// AbortMultipartUpload on an upload already gone, or on a server that lacks the call (s3rver
// answers MethodNotAllowed): the parts are gone or left to the bucket's lifecycle rule.
const nothingToAbort = new Set(['NoSuchUpload', 'NotImplemented', 'MethodNotAllowed']);

/**
 * `client` talks to S3 from the server; `signer` only signs, for the address the browser reaches
 * the bucket at (S3_PUBLIC_ENDPOINT), which may differ from the one the server uses.
 */
export function multipartUploads(
  client: S3Client,
  signer: S3Client,
  Bucket: string,
): MultipartUploads {
  return {
    async startMultipartUpload(key, contentType) {
      const result = await client.send(
        new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: contentType }),
      );
      if (!result.UploadId) throw new Error('S3 started a multipart upload without an id');
      return result.UploadId;
    },

    signUploadPart({ key, uploadId }, { partNumber, size }, expiresInSeconds) {
      const command = new UploadPartCommand({
        Bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        ContentLength: size,
      });
      // content-length is signed by name: without it in signableHeaders the presigner would
      // still sign it today, but the length check is the point, so it is asked for explicitly.
      return getSignedUrl(
        signer as unknown as PresignerClient,
        command as unknown as PresignerCommand,
        {
          expiresIn: expiresInSeconds,
          signableHeaders: new Set(['content-length']),
        },
      );
    },

    async completeMultipartUpload({ key, uploadId }, parts) {
      try {
        await client.send(
          new CompleteMultipartUploadCommand({
            Bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: {
              Parts: parts.map(({ partNumber, etag }) => ({ PartNumber: partNumber, ETag: etag })),
            },
          }),
        );
      } catch (error) {
        if (error instanceof S3ServiceException && invalidParts.has(error.name)) {
          throw new InvalidPartsError(error);
        }
        throw error;
      }
    },

    async abortMultipartUpload({ key, uploadId }) {
      try {
        await client.send(
          new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId }),
        );
      } catch (error) {
        if (error instanceof S3ServiceException && nothingToAbort.has(error.name)) return;
        throw error;
      }
    },
  };
}
