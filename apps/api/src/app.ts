// Builds the Express app from explicit dependencies. Nothing here reads the environment
// or opens connections, so tests can build as many apps as they like against real services.
import express, { type RequestHandler } from 'express';
import type session from 'express-session';
import type { Logger } from 'pino';
import type { Config } from '@shipshape/config';
import type { Database } from '@shipshape/db';
import type { JobQueue } from '@shipshape/queue';
import type { Storage } from '@shipshape/storage';
import type { AttemptCounter } from './auth/attempts/counter';
import { createPassport } from './auth/passport';
import { accountRouter } from './account/routes';
import { adminRouter } from './admin/routes';
import { createAdminService } from './admin/service';
import { createAccountService } from './account/service';
import { touchDevice } from './account/sessions';
import { createRecoveryService } from './auth/recovery';
import { authRouter } from './auth/routes';
import { createSignInThrottle } from './auth/throttle';
import { createUsersService } from './auth/users';
import { healthRouter, type ReadinessCheck } from './health/routes';
import { versionRouter } from './health/version';
import { exportsRouter } from './exports/routes';
import { createExportsService } from './exports/service';
import { filesRouter } from './files/routes';
import { createFilesService } from './files/service';
import { createUploadsService } from './files/uploads';
import { errorHandler, unknownRoute } from './http/errors';
import type { ShutdownState } from './http/graceful-shutdown';
import { jsonAsText } from './http/json-response';
import { requestLogger } from './http/logger';
import { rememberRoutePatterns } from './http/route-pattern';
import { noStore } from './http/no-store';
import { trustProxy } from './http/trust-proxy';
import { requireSameOrigin } from './http/same-origin';
import { securityHeaders } from './http/security-headers';
import { closeIfBodyUnread } from './http/unread-body';
import { mailOutbox } from './mail/outbox';
import type { Metrics } from './metrics';
import { notesRouter } from './notes/routes';
import { createNotesService } from './notes/service';
import { sessionMiddleware } from './session';

export interface AppDeps {
  config: Config;
  db: Database;
  logger: Logger;
  sessionStore: session.Store;
  storage: Storage;
  queue: JobQueue;
  readinessChecks: Record<string, ReadinessCheck>;
  /** Failed sign-in counts, shared by every replica (Redis, or Postgres without Redis). */
  attempts: AttemptCounter;
  /** Folder of static frontend files to serve, as Caddy does in production. */
  webRoot?: string | undefined;
  /** Set by the entry file: readiness fails while draining. */
  shutdown?: ShutdownState | undefined;
  /** Prometheus metrics (request latency, queue): GET /metrics. The entry file builds them. */
  metrics?: Metrics | undefined;
}

export function createApp(deps: AppDeps) {
  const { config } = deps;
  const users = createUsersService({ db: deps.db });
  const passport = createPassport(users);
  const outbox = mailOutbox({ queue: deps.queue, logger: deps.logger });
  const throttle = createSignInThrottle(deps);

  const app = express();
  // Behind Caddy (or Render's and Railway's proxies) the client's IP and scheme arrive in
  // X-Forwarded-* headers; trust them only from the proxies configured here.
  trustProxy(app, config.trustProxy);
  app.disable('x-powered-by');
  // Express hashes every JSON answer for an ETag; the API's answers are never stored (no-store),
  // so no browser ever sends it back, and the hash was pure cost (ADR 026).
  app.set('etag', false);
  jsonAsText(app);
  rememberRoutePatterns(app);
  deps.metrics?.instrument(app);
  // A refusal sent before the body is read closes the connection instead of reading the rest.
  app.use(closeIfBodyUnread);

  // The page uploads straight to the bucket: where that is another origin, CSP must allow it.
  const bucket = config.s3.publicEndpoint && new URL(config.s3.publicEndpoint).origin;
  app.use(securityHeaders({ https: !config.isLocal, connectSrc: bucket ? [bucket] : [] }));
  app.use(requestLogger(app, deps.logger));
  app.use(healthRouter({ checks: deps.readinessChecks, shutdown: deps.shutdown }));
  app.use(versionRouter({ build: config.build }));
  if (deps.webRoot) app.use(express.static(deps.webRoot));

  app.use('/api', noStore, express.json({ limit: '100kb' }), requireSameOrigin);
  app.use(
    '/api',
    sessionMiddleware(config, deps.sessionStore),
    passport.session() as RequestHandler,
    touchDevice(deps.db, deps.logger),
  );
  app.use(
    '/api/auth',
    authRouter({
      users,
      recovery: createRecoveryService({ db: deps.db }),
      passport,
      throttle,
      outbox,
    }),
  );
  app.use(
    '/api/account',
    accountRouter({
      account: createAccountService({
        db: deps.db,
        queue: deps.queue,
        logger: deps.logger,
        checkPassword: (id, password) => users.checkPassword(id, password),
      }),
      db: deps.db,
      outbox,
      throttle,
    }),
  );
  app.use('/api/admin', adminRouter({ admin: createAdminService({ db: deps.db }), db: deps.db }));
  app.use('/api/notes', notesRouter({ notes: createNotesService({ db: deps.db }) }));
  app.use(
    '/api/files',
    filesRouter({
      files: createFilesService({ db: deps.db, storage: deps.storage, logger: deps.logger }),
      uploads: createUploadsService({
        db: deps.db,
        storage: deps.storage,
        queue: deps.queue,
        logger: deps.logger,
        maxBytes: config.uploadMaxBytes,
        quotaBytes: config.filesQuotaBytes,
      }),
      storage: deps.storage,
      maxBytes: config.uploadMaxBytes,
    }),
  );
  app.use(
    '/api/exports',
    exportsRouter({
      exports: createExportsService({
        db: deps.db,
        queue: deps.queue,
        logger: deps.logger,
        ttlMs: config.jobs.exportTtlMs,
      }),
      storage: deps.storage,
    }),
  );

  app.use(unknownRoute);
  app.use(errorHandler({ exposeStack: config.isLocal }));
  return app;
}
