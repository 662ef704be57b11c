// Where each end-to-end project finds its app: e2e/server.ts starts them there, playwright.config.ts
// waits for them there, and the specs that talk to one API replica behind Caddy's back find it here. Each server catches the
// mail its app sends; specs read it at mailUrl (mailbox() from @shipshape/mail/testing). Each
// keeps its objects in an S3 server of its own (s3), which specs may list to see what is left.
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// s3rver, the embedded S3 server, accepts only these credentials.
const s3rver = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export const local = {
  port: 3100,
  url: 'http://127.0.0.1:3100',
  mailUrl: 'http://127.0.0.1:3125',
  s3: { endpoint: 'http://127.0.0.1:3127', bucket: 'shipshape-e2e', ...s3rver },
};

export const production = {
  port: 3143,
  url: 'https://localhost:3143',
  replicaPorts: [3111, 3112],
  replicaUrls: ['http://127.0.0.1:3111', 'http://127.0.0.1:3112'],
  mailUrl: 'http://127.0.0.1:3126',
  s3: { endpoint: 'http://127.0.0.1:3128', bucket: 'shipshape-e2e-production', ...s3rver },
  // Everything Caddy, the API replicas and the worker write, one line each, prefixed with the
  // process's name. In the temp folder, not test-results/: each run empties that, even while a
  // server it reuses still writes here.
  logFile: join(tmpdir(), 'shipshape-e2e-production.log'),
};
