// Which storage errors mean "S3 is away for now", seen the way they happen: a port where nothing
// listens, a server that answers 503 Slow Down or 500, one that accepts connections and then
// says nothing (frozen), and one that answers 404.
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStorage, isStorageUnavailable, type StorageOptions } from '@shipshape/storage';

const base: StorageOptions = {
  region: 'us-east-1',
  bucket: 'shipshape-test',
  accessKeyId: 'test',
  secretAccessKey: 'test',
  forcePathStyle: true,
  checksumMode: 'when_required',
};

/** What a Storage on `endpoint` rejects with when it reads an object. */
async function errorFrom(endpoint: string, timeouts?: StorageOptions['timeouts']) {
  const storage = createStorage({ ...base, endpoint, timeouts });
  try {
    await storage.getStream('users/u/files/f');
    return undefined;
  } catch (error) {
    return error;
  } finally {
    storage.close();
  }
}

let s3Errors: Server;
let frozen: TcpServer;
const sockets: Socket[] = [];
const urlOf = (server: Server | TcpServer) =>
  `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

beforeAll(async () => {
  // Answers by the key asked for, in S3's XML error format.
  s3Errors = createServer((req, res) => {
    const [status, code] = req.url?.includes('slow')
      ? [503, 'SlowDown']
      : req.url?.includes('broken')
        ? [500, 'InternalError']
        : [403, 'AccessDenied'];
    res.writeHead(status, { 'content-type': 'application/xml' });
    res.end(`<Error><Code>${code}</Code><Message>${code}</Message></Error>`);
  });
  // Accepts connections and never answers: a stopped (SIGSTOP) server looks like this.
  frozen = createTcpServer((socket) => sockets.push(socket));
  await Promise.all([
    new Promise<void>((resolve) => s3Errors.listen(0, '127.0.0.1', resolve)),
    new Promise<void>((resolve) => frozen.listen(0, '127.0.0.1', resolve)),
  ]);
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all([
    new Promise((resolve) => s3Errors.close(resolve)),
    new Promise((resolve) => frozen.close(resolve)),
  ]);
});

describe('isStorageUnavailable', () => {
  it('recognises a refused connection', async () => {
    const error = await errorFrom('http://127.0.0.1:1');
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isStorageUnavailable(error)).toBe(true);
  });

  it('recognises 503 Slow Down and 500 Internal Error', async () => {
    const storage = createStorage({ ...base, endpoint: urlOf(s3Errors) });
    try {
      for (const key of ['slow', 'broken']) {
        const error = await storage
          .putBuffer(key, Buffer.from('x'), 'text/plain')
          .catch((e: unknown) => e);
        expect(isStorageUnavailable(error)).toBe(true);
      }
      const denied = await storage
        .putBuffer('denied', Buffer.from('x'), 'text/plain')
        .catch((e: unknown) => e);
      expect(denied).toMatchObject({ name: 'AccessDenied' });
      expect(isStorageUnavailable(denied)).toBe(false);
    } finally {
      storage.close();
    }
  });

  it('gives up on a server that accepts connections and answers nothing', async () => {
    const error = await errorFrom(urlOf(frozen), { connectMs: 500, idleMs: 300 });
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(isStorageUnavailable(error)).toBe(true);
  });

  it('recognises it in a cause chain, and leaves other errors alone', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), {
      code: 'ECONNREFUSED',
      $metadata: {},
    });
    expect(isStorageUnavailable(new Error('wrapped', { cause: refused }))).toBe(true);
    // A database refusing connections carries no S3 metadata: not storage.
    const database = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isStorageUnavailable(database)).toBe(false);
    expect(isStorageUnavailable(new Error('a bug'))).toBe(false);
    expect(isStorageUnavailable(undefined)).toBe(false);
  });
});
