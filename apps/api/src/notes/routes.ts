import { Router } from 'express';
import { currentUser, requireUser } from '../auth/require-user';
import { idParam } from '../http/params';
import { pageQuery } from '../http/pagination';
import { publicNote } from './present';
import { noteInput, notePatch } from './schema';
import type { NotesService } from './service';

export function notesRouter({ notes }: { notes: NotesService }) {
  const router = Router();
  router.use(requireUser);

  router.get('/', async (req, res) => {
    const page = await notes.list(currentUser(req).id, pageQuery.parse(req.query));
    res.json({ notes: page.items.map(publicNote), nextCursor: page.nextCursor });
  });

  router.post('/', async (req, res) => {
    const note = await notes.create(currentUser(req).id, noteInput.parse(req.body));
    res.status(201).json(publicNote(note));
  });

  router.get('/:id', async (req, res) => {
    res.json(publicNote(await notes.get(currentUser(req).id, idParam(req, 'Note'))));
  });

  router.patch('/:id', async (req, res) => {
    const id = idParam(req, 'Note');
    const note = await notes.update(currentUser(req).id, id, notePatch.parse(req.body));
    res.json(publicNote(note));
  });

  router.delete('/:id', async (req, res) => {
    await notes.remove(currentUser(req).id, idParam(req, 'Note'));
    res.status(204).end();
  });

  return router;
}
