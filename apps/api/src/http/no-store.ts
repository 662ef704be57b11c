// Every answer under /api is about one signed-in person (their notes, their files, who they
// are), so no browser cache, shared proxy or CDN may keep a copy: a later user of the same
// computer, or of the same proxy, must not be shown it.
import type { RequestHandler } from 'express';

export const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};
