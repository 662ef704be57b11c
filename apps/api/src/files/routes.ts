import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Storage } from '@shipshape/storage';
import { currentUser, requireUser } from '../auth/require-user';
import { notFound } from '../http/errors';
import { pageQuery } from '../http/pagination';
import { attachmentHeader } from './content-disposition';
import { allowedTypes } from './detect-type';
import { receiveFile } from './multipart';
import { toPublic, type FilesService } from './service';

function idParam(req: Request): string {
  const id = z.uuid().safeParse(req.params.id);
  if (!id.success) throw notFound('File');
  return id.data;
}

async function sendObject(
  storage: Storage,
  res: Response,
  key: string,
  headers: Record<string, string>,
) {
  const object = await storage.getStream(key);
  if (!object) throw notFound('File');
  res.set({
    ...headers,
    ...(object.contentLength !== undefined && { 'Content-Length': String(object.contentLength) }),
    'Cache-Control': 'private, no-cache',
  });
  await pipeline(object.body, res);
}

export function filesRouter(deps: { files: FilesService; storage: Storage; maxBytes: number }) {
  const { files, storage } = deps;
  const router = Router();
  router.use(requireUser);

  router.post('/', async (req, res) => {
    const userId = currentUser(req).id;
    const file = await receiveFile(req, { maxBytes: deps.maxBytes }, (incoming) =>
      files.upload(userId, incoming),
    );
    res.status(201).json(file);
  });

  // What the upload form checks before sending, to answer at once instead of after a long upload.
  router.get('/limits', (_req, res) => {
    res.json({ maxBytes: deps.maxBytes, types: allowedTypes });
  });

  router.get('/', async (req, res) => {
    res.json(await files.list(currentUser(req).id, pageQuery.parse(req.query)));
  });

  router.get('/:id', async (req, res) => {
    res.json(toPublic(await files.get(currentUser(req).id, idParam(req))));
  });

  router.get('/:id/content', async (req, res) => {
    const file = await files.get(currentUser(req).id, idParam(req));
    await sendObject(storage, res, file.objectKey, {
      'Content-Type':
        file.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : file.contentType,
      'Content-Disposition': attachmentHeader(file.originalName),
    });
  });

  router.get('/:id/thumbnail', async (req, res) => {
    const file = await files.get(currentUser(req).id, idParam(req));
    if (!file.thumbnailKey) throw notFound('Thumbnail');
    await sendObject(storage, res, file.thumbnailKey, { 'Content-Type': 'image/webp' });
  });

  router.delete('/:id', async (req, res) => {
    await files.remove(currentUser(req).id, idParam(req));
    res.status(204).end();
  });

  return router;
}
