// Streams a body of unknown length to S3 as a multipart upload: memory stays at
// about queueSize x partSize whatever the file size, and a failed or aborted upload
// never becomes a visible object.
import { addAbortSignal, type Readable } from 'node:stream';
import { AbortMultipartUploadCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

// 5 MiB is the smallest part S3 accepts; two parts in flight keep the pipe full.
const PART_SIZE = 5 * 1024 * 1024;
const QUEUE_SIZE = 2;

export interface PutStreamOptions {
  contentType: string;
  /** Called with the number of bytes stored so far, each time it grows. */
  onProgress?: (bytes: number) => void;
  /** Aborting destroys `body` and rejects with an AbortError, unless the body was already fully read. */
  abortSignal?: AbortSignal;
}

export interface PutResult {
  size: number;
  etag: string | undefined;
}

export async function uploadStream(
  client: S3Client,
  target: { bucket: string; key: string },
  body: Readable,
  options: PutStreamOptions,
): Promise<PutResult> {
  // Aborting through the body (not Upload.abort()) lets the parts in flight settle before we clean up.
  if (options.abortSignal) addAbortSignal(options.abortSignal, body);
  const upload = new Upload({
    client,
    params: {
      Bucket: target.bucket,
      Key: target.key,
      Body: body,
      ContentType: options.contentType,
    },
    partSize: PART_SIZE,
    queueSize: QUEUE_SIZE,
    // We abort the multipart upload ourselves below, so that its failure cannot hide the real error.
    leavePartsOnError: true,
  });

  let size = 0;
  upload.on('httpUploadProgress', ({ loaded }) => {
    if (loaded === undefined || loaded <= size) return;
    size = loaded;
    options.onProgress?.(size);
  });

  try {
    const result = await upload.done();
    return { size, etag: result.ETag };
  } catch (error) {
    if (upload.uploadId) await abortMultipartUpload(client, target, upload.uploadId);
    throw error;
  }
}

async function abortMultipartUpload(
  client: S3Client,
  target: { bucket: string; key: string },
  uploadId: string,
): Promise<void> {
  try {
    await client.send(
      new AbortMultipartUploadCommand({
        Bucket: target.bucket,
        Key: target.key,
        UploadId: uploadId,
      }),
    );
  } catch {
    // Uncompleted parts are never visible as an object. If they cannot be discarded now
    // (s3rver does not implement this call), the bucket's lifecycle rule for incomplete
    // multipart uploads removes them later.
  }
}
