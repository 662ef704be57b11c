import { useTestDatabase } from '@shipshape/db/testing';
import request from 'supertest';
import { describe, it } from 'vitest';
import { buildTestApp } from './helpers';

useTestDatabase();

describe('GET /api/version', () => {
  it('names the commit and build time the image was built with', async () => {
    const app = buildTestApp({ GIT_COMMIT: '1a1da19', BUILD_TIME: '2026-11-23T03:00:00Z' });
    await request(app)
      .get('/api/version')
      .expect('Cache-Control', 'no-store')
      .expect(200, { commit: '1a1da19', builtAt: '2026-11-23T03:00:00Z' });
  });

  it('says unknown when run from source, without build args', async () => {
    const app = buildTestApp();
    await request(app).get('/api/version').expect(200, { commit: 'unknown', builtAt: 'unknown' });
  });
});
