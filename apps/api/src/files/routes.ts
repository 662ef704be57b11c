import { Router } from 'express';
import { acceptedTypes } from '@shipshape/jobs/thumbnail-type';
import type { Storage } from '@shipshape/storage';
import { currentUser, requireUser } from '../auth/require-user';
import { notFound } from '../http/errors';
import { idParam } from '../http/params';
import { sendObject } from '../http/send-object';
import { pageQuery } from '../http/pagination';
import { attachmentHeader } from './content-disposition';
import { publicFile } from './present';
import { completeUploadBody, signPartsBody, startUploadBody } from './schema';
import type { FilesService } from './service';
import type { UploadsService } from './uploads';

export function filesRouter(deps: {
  files: FilesService;
  uploads: UploadsService;
  storage: Storage;
  maxBytes: number;
}) {
  const { files, uploads, storage } = deps;
  const router = Router();
  router.use(requireUser);

  // The upload protocol (files/uploads.ts): start, sign parts, complete or give up.
  router.post('/uploads', async (req, res) => {
    const input = startUploadBody.parse(req.body);
    const { row, plan } = await uploads.start(currentUser(req).id, input);
    res.status(201).json({ upload: { id: row.id, ...plan } });
  });

  router.post('/uploads/:id/parts', async (req, res) => {
    const { partNumbers } = signPartsBody.parse(req.body);
    const id = idParam(req, 'Upload');
    res.json({ parts: await uploads.signParts(currentUser(req).id, id, partNumbers) });
  });

  router.post('/uploads/:id/complete', async (req, res) => {
    const { parts } = completeUploadBody.parse(req.body);
    const file = await uploads.complete(currentUser(req).id, idParam(req, 'Upload'), parts);
    res.status(201).json({ file: publicFile(file) });
  });

  router.delete('/uploads/:id', async (req, res) => {
    await uploads.cancel(currentUser(req).id, idParam(req, 'Upload'));
    res.status(204).end();
  });

  // What the upload form checks before sending, to answer at once instead of after a long upload.
  router.get('/limits', async (req, res) => {
    const usage = await uploads.usage(currentUser(req).id);
    res.json({ maxBytes: deps.maxBytes, types: acceptedTypes, ...usage });
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
