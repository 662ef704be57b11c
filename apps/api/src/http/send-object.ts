import { pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import type { Storage } from '@shipshape/storage';
import { notFound } from './errors';

/** Streams an object from storage to the client: its bytes are never held whole. */
export async function sendObject(
  storage: Storage,
  res: Response,
  key: string,
  { what, headers }: { what: string; headers: Record<string, string> },
) {
  const object = await storage.getStream(key);
  if (!object) throw notFound(what);
  res.set({
    ...headers,
    ...(object.contentLength !== undefined && { 'Content-Length': String(object.contentLength) }),
  });
  await pipeline(object.body, res);
}
