// GET /api/version says which build answers: the commit and build time the image was built
// with (Dockerfile build args GIT_COMMIT and BUILD_TIME). After a deploy, one request tells
// whether the new image really serves. Public and cheap: it touches no dependency.
import { Router } from 'express';
import type { Config } from '@shipshape/config';

export function versionRouter({ build }: { build: Config['build'] }) {
  const router = Router();
  router.get('/api/version', (_req, res) => {
    res.set('Cache-Control', 'no-store');
    res.json({ commit: build.gitCommit, builtAt: build.buildTime });
  });
  return router;
}
