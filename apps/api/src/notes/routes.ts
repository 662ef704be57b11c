import { Router } from 'express';
import { currentUser, requireUser } from '../auth/require-user';
import { notFound } from '../http/errors';
import { idParam } from '../http/params';
import { pageQuery } from '../http/pagination';
import { noteInput, notePatch } from './schema';
import type { NotesService } from './service';

export function notesRouter({ notes }: { notes: NotesService }) {
  const router = Router();
  router.use(requireUser);

  router.get('/', async (req, res) => {
    res.json(await notes.list(currentUser(req).id, pageQuery.parse(req.query)));
  });

  router.post('/', async (req, res) => {
    res.status(201).json(await notes.create(currentUser(req).id, noteInput.parse(req.body)));
  });

  router.get('/:id', async (req, res) => {
    const note = await notes.get(currentUser(req).id, idParam(req, 'Note'));
    if (!note) throw notFound('Note');
    res.json(note);
  });

  router.patch('/:id', async (req, res) => {
    const id = idParam(req, 'Note');
    const note = await notes.update(currentUser(req).id, id, notePatch.parse(req.body));
    if (!note) throw notFound('Note');
    res.json(note);
  });

  router.delete('/:id', async (req, res) => {
    if (!(await notes.remove(currentUser(req).id, idParam(req, 'Note')))) throw notFound('Note');
    res.status(204).end();
  });

  return router;
}
