import { Router } from 'express';
import type { Storage } from '@shipshape/storage';
import { currentUser, requireUser } from '../auth/require-user';
import { attachmentHeader } from '../files/content-disposition';
import { HttpError } from '../http/errors';
import { idParam } from '../http/params';
import { sendObject } from '../http/send-object';
import { publicExport } from './present';
import type { ExportsService } from './service';

export function exportsRouter({ exports, storage }: { exports: ExportsService; storage: Storage }) {
  const router = Router();
  router.use(requireUser);

  router.post('/', async (req, res) => {
    res.status(202).json(publicExport(await exports.request(currentUser(req).id)));
  });

  // What a page shows after a reload or a new sign-in: an export still downloadable, or the
  // one under way. Having none is an answer (null), not an error.
  router.get('/latest', async (req, res) => {
    const row = await exports.latest(currentUser(req).id);
    res.json({ export: row ? publicExport(row) : null });
  });

  router.get('/:id', async (req, res) => {
    res.json(publicExport(await exports.get(currentUser(req).id, idParam(req, 'Export'))));
  });

  router.get('/:id/download', async (req, res) => {
    const row = await exports.get(currentUser(req).id, idParam(req, 'Export'));
    if (row.status !== 'ready' || !row.objectKey) {
      throw new HttpError(409, 'export_not_ready', 'This export is not ready yet.');
    }
    const day = row.createdAt.toISOString().slice(0, 10);
    await sendObject(storage, res, row.objectKey, {
      what: 'Export',
      headers: {
        'Content-Type': 'application/json',
        'Content-Disposition': attachmentHeader(`shipshape-export-${day}.json`),
      },
    });
  });

  return router;
}
