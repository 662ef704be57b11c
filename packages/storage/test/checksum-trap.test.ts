// Why checksumMode exists. With the SDK's default ('when_supported') a streamed PutObject is
// sent as `aws-chunked` with a CRC32 trailer; s3rver (like many S3-compatible servers) stores
// that framing as if it were the file, and reports success. If this first test ever fails,
// s3rver or the SDK changed, and the trap may be gone.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, type ChecksumMode } from '@shipshape/storage';
import { startEmbeddedS3, type EmbeddedS3 } from '@shipshape/storage/embedded';
// The package's own client, which it keeps to itself: a single streamed PutObject, which Storage
// never sends, is what shows the trap most plainly.
import { createS3Client } from '../src/client';
import { randomStream, sha256, sha256Of } from './streams';

const bucket = 'checksum-trap';
let s3: EmbeddedS3;

beforeAll(async () => {
  s3 = await startEmbeddedS3();
  const storage = createStorage(optionsFor('when_required'));
  await storage.ensureBucket();
  storage.close();
});

afterAll(async () => {
  await s3.stop();
});

function optionsFor(checksumMode: ChecksumMode) {
  return {
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
    checksumMode,
  };
}

/** Sends `bytes` as a stream in a single PutObject, and returns what the server stored. */
async function putStreamedAndReadBack(checksumMode: ChecksumMode, bytes: Buffer): Promise<Buffer> {
  const client = createS3Client(optionsFor(checksumMode));
  try {
    const Key = `streamed-${checksumMode}`;
    const Body = Readable.from([bytes]);
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key, Body, ContentLength: bytes.length }),
    );
    const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
    return Buffer.from((await result.Body?.transformToByteArray()) ?? []);
  } finally {
    client.destroy();
  }
}

describe('the checksum trap on s3rver', () => {
  it("corrupts a streamed PutObject with 'when_supported': the chunk framing lands in the object", async () => {
    const sent = randomBytes(1000);
    const stored = await putStreamedAndReadBack('when_supported', sent);
    expect(stored.length).toBeGreaterThan(sent.length);
    expect(stored.toString('latin1')).toContain('x-amz-checksum-crc32');
  });

  it("stores a streamed PutObject byte for byte with 'when_required'", async () => {
    const sent = randomBytes(1000);
    const stored = await putStreamedAndReadBack('when_required', sent);
    expect(sha256(stored)).toBe(sha256(sent));
  });

  it("round-trips storage.putStream byte for byte with 'when_required'", async () => {
    const storage = createStorage(optionsFor('when_required'));
    try {
      const source = randomStream(7 * 1024 * 1024);
      await storage.putStream('multipart', source.stream, { contentType: 'image/png' });
      const object = await storage.getStream('multipart');
      if (!object) throw new Error('uploaded object is missing');
      expect(object.contentType).toBe('image/png');
      expect((await sha256Of(object.body)).sha256).toBe(source.sha256());
    } finally {
      storage.close();
    }
  });
});
