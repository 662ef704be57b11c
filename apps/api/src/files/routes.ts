import { Router } from 'express';
import type { Storage } from '@shipshape/storage';
import { currentUser, requireUser } from '../auth/require-user';
import { notFound } from '../http/errors';
import { idParam } from '../http/params';
import { sendObject } from '../http/send-object';
import { pageQuery } from '../http/pagination';
import { attachmentHeader } from './content-disposition';
import { allowedTypes } from './detect-type';
import { receiveFile } from './multipart';
import { publicFile } from './present';
import type { FilesService } from './service';

export function filesRouter(deps: {
  files: FilesService;
  storage: Storage;
  maxBytes: number;
  /** Aborted when the server stops for good: uploads still running give up cleanly. */
  deadline?: AbortSignal | undefined;
}) {
  const { files, storage } = deps;
  const router = Router();
  router.use(requireUser);

  router.post('/', async (req, res) => {
    const userId = currentUser(req).id;
    const limits = { maxBytes: deps.maxBytes, deadline: deps.deadline };
    const file = await receiveFile(req, limits, (incoming) => files.upload(userId, incoming));
    res.status(201).json(publicFile(file));
  });

  // What the upload form checks before sending, to answer at once instead of after a long upload.
  router.get('/limits', (_req, res) => {
    res.json({ maxBytes: deps.maxBytes, types: allowedTypes });
  });

  router.get('/', async (req, res) => {
    const page = await files.list(currentUser(req).id, pageQuery.parse(req.query));
    res.json({ files: page.items.map(publicFile), nextCursor: page.nextCursor });
  });

  router.get('/:id', async (req, res) => {
    res.json(publicFile(await files.get(currentUser(req).id, idParam(req, 'File'))));
  });

  router.get('/:id/content', async (req, res) => {
    const file = await files.get(currentUser(req).id, idParam(req, 'File'));
    await sendObject(storage, res, file.objectKey, {
      what: 'File',
      headers: {
        'Content-Type':
          file.contentType === 'text/plain' ? 'text/plain; charset=utf-8' : file.contentType,
        'Content-Disposition': attachmentHeader(file.originalName),
      },
    });
  });

  router.get('/:id/thumbnail', async (req, res) => {
    const file = await files.get(currentUser(req).id, idParam(req, 'File'));
    if (!file.thumbnailKey) throw notFound('Thumbnail');
    await sendObject(storage, res, file.thumbnailKey, {
      what: 'Thumbnail',
      headers: { 'Content-Type': 'image/webp' },
    });
  });

  router.delete('/:id', async (req, res) => {
    await files.remove(currentUser(req).id, idParam(req, 'File'));
    res.status(204).end();
  });

  return router;
}
