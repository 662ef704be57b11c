import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, fileKey, type Storage, type StorageOptions } from '@shipshape/storage';
import { startEmbeddedS3, type EmbeddedS3 } from '@shipshape/storage/embedded';
import { collect, failingStream, randomStream, sha256, sha256Of } from './streams';

const MiB = 1024 * 1024;

let s3: EmbeddedS3;
let storage: Storage;
let options: StorageOptions;

beforeAll(async () => {
  s3 = await startEmbeddedS3();
  options = {
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: 'shipshape-test',
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: true,
    checksumMode: 'when_required',
  };
  storage = createStorage(options);
  await storage.ensureBucket();
});

afterAll(async () => {
  storage.close();
  await s3.stop();
});

// Each test writes under its own user, so listings never see another test's objects.
const newUser = () => `users/${randomUUID()}/`;
const keyFor = (prefix: string, name: string) => `${prefix}files/${name}`;

describe('bucket', () => {
  it('creates the bucket, and ensureBucket is safe to call again', async () => {
    await expect(storage.check()).resolves.toBeUndefined();
    await expect(storage.ensureBucket()).resolves.toBeUndefined();
  });

  it('fails the readiness check when the bucket does not exist', async () => {
    const missing = createStorage({ ...options, bucket: 'no-such-bucket' });
    try {
      await expect(missing.check()).rejects.toThrow(
        'Storage bucket "no-such-bucket" is not reachable',
      );
    } finally {
      missing.close();
    }
  });
});

describe('round trips', () => {
  it('returns a small buffer byte for byte, with its content type', async () => {
    const key = keyFor(newUser(), 'small');
    const bytes = randomBytes(1000);
    await storage.putBuffer(key, bytes, 'application/octet-stream');

    const object = await storage.getStream(key);
    expect(object?.contentType).toBe('application/octet-stream');
    expect(object?.contentLength).toBe(1000);
    if (!object) return;
    expect((await sha256Of(object.body)).sha256).toBe(sha256(bytes));
    expect(await storage.head(key)).toEqual({
      size: 1000,
      contentType: 'application/octet-stream',
    });
  });

  it('streams 50 MB up and down unchanged, reading the source only as fast as it uploads', async () => {
    const key = keyFor(newUser(), 'large');
    const size = 50 * MiB;
    const source = randomStream(size);
    const progress: number[] = [];
    let producedAtFirstProgress = 0;

    const result = await storage.putStream(key, source.stream, {
      contentType: 'application/octet-stream',
      onProgress(bytes) {
        if (progress.length === 0) producedAtFirstProgress = source.produced();
        progress.push(bytes);
      },
    });

    expect(result.size).toBe(size);
    expect(result.etag).toBeTruthy();
    // Multipart: about two 5 MiB parts in flight, never the whole body in memory.
    expect(producedAtFirstProgress).toBeLessThan(20 * MiB);
    expect(progress.length).toBeGreaterThanOrEqual(10);
    expect(progress.every((bytes, i) => i === 0 || bytes > (progress[i - 1] ?? 0))).toBe(true);
    expect(progress.at(-1)).toBe(size);

    const object = await storage.getStream(key);
    if (!object) throw new Error('uploaded object is missing');
    expect(object.contentLength).toBe(size);
    const downloaded = await sha256Of(object.body);
    expect(downloaded).toEqual({ sha256: source.sha256(), bytes: size });
  });

  it('answers undefined for a key that does not exist', async () => {
    const key = keyFor(newUser(), 'missing');
    expect(await storage.getStream(key)).toBeUndefined();
    expect(await storage.head(key)).toBeUndefined();
  });
});

describe('failed uploads', () => {
  it('rejects when the source fails midway and leaves no object behind', async () => {
    const prefix = newUser();
    const upload = storage.putStream(keyFor(prefix, 'broken'), failingStream(12 * MiB), {
      contentType: 'application/octet-stream',
    });
    await expect(upload).rejects.toThrow('source failed');
    expect(await collect(storage.list(prefix))).toEqual([]);
  });

  it('rejects with an AbortError when its signal fires, and leaves no object behind', async () => {
    const prefix = newUser();
    const aborter = new AbortController();
    const upload = storage.putStream(keyFor(prefix, 'cancelled'), randomStream(50 * MiB).stream, {
      contentType: 'application/octet-stream',
      abortSignal: aborter.signal,
      onProgress: () => {
        aborter.abort();
      },
    });
    await expect(upload).rejects.toMatchObject({ name: 'AbortError' });
    expect(await collect(storage.list(prefix))).toEqual([]);
  });
});

describe('listing and deleting', () => {
  it('lists every object under a prefix across pages', async () => {
    const prefix = newUser();
    const names = ['a', 'b', 'c', 'd', 'e'];
    for (const name of names)
      await storage.putBuffer(keyFor(prefix, name), Buffer.from(name), 'text/plain');

    const listed = await collect(storage.list(prefix, { pageSize: 2 }));
    expect(listed.map((o) => o.key)).toEqual(names.map((name) => keyFor(prefix, name)));
    expect(listed.every((o) => o.size === 1 && o.lastModified instanceof Date)).toBe(true);
  });

  it('deletes one key, many keys, and accepts keys that are already gone', async () => {
    const prefix = newUser();
    const keys = ['a', 'b', 'c', 'd'].map((name) => keyFor(prefix, name));
    for (const key of keys) await storage.putBuffer(key, Buffer.from('x'), 'text/plain');

    await storage.delete(keys[0] ?? '');
    await storage.deleteMany(keys.slice(1, 3));
    await storage.delete(keyFor(prefix, 'never-existed'));
    await storage.deleteMany([]);

    expect((await collect(storage.list(prefix))).map((o) => o.key)).toEqual([keys[3]]);
  });
});

describe('keys', () => {
  it('puts everything a user owns under users/<userId>/', () => {
    const userId = randomUUID();
    const fileId = randomUUID();
    expect(fileKey(userId, fileId)).toBe(`users/${userId}/files/${fileId}`);
  });

  it('refuses ids that could escape their folder', () => {
    expect(() => fileKey('../admin', 'x')).toThrow('Refusing to build a storage key');
    expect(() => fileKey('u', 'a/b')).toThrow('Refusing to build a storage key');
  });
});
