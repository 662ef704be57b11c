import { pipeline } from 'node:stream/promises';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Storage } from '@shipshape/storage';
import { currentUser, requireUser } from '../auth/require-user';
import { attachmentHeader } from '../files/content-disposition';
import { HttpError, notFound } from '../http/errors';
import { toPublic, type ExportsService } from './service';

function idParam(req: Request): string {
  const id = z.uuid().safeParse(req.params.id);
  if (!id.success) throw notFound('Export');
  return id.data;
}

export function exportsRouter({ exports, storage }: { exports: ExportsService; storage: Storage }) {
  const router = Router();
  router.use(requireUser);

  router.post('/', async (req, res) => {
    res.status(202).json(toPublic(await exports.request(currentUser(req).id)));
  });

  router.get('/:id', async (req, res) => {
    res.json(toPublic(await exports.get(currentUser(req).id, idParam(req))));
  });

  router.get('/:id/download', async (req, res) => {
    const row = await exports.get(currentUser(req).id, idParam(req));
    if (row.status !== 'ready' || !row.objectKey) {
      throw new HttpError(409, 'export_not_ready', 'This export is not ready yet.');
    }
    const object = await storage.getStream(row.objectKey);
    if (!object) throw notFound('Export');
    const day = row.createdAt.toISOString().slice(0, 10);
    res.set({
      'Content-Type': 'application/json',
      'Content-Disposition': attachmentHeader(`shipshape-export-${day}.json`),
      'Cache-Control': 'private, no-store',
      ...(object.contentLength !== undefined && { 'Content-Length': String(object.contentLength) }),
    });
    await pipeline(object.body, res);
  });

  return router;
}
