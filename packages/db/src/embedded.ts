// A real Postgres (PGlite, compiled to WebAssembly) served over a TCP socket, so the
// app reaches it through the same `pg` driver it uses in production. Local development only.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite on 127.0.0.1. With a `dataDir` the data survives restarts;
 * without one it lives in memory and vanishes at stop (what tests want).
 */
export async function startEmbeddedPostgres(
  options: { dataDir?: string; port?: number } = {},
): Promise<EmbeddedPostgres> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const served = await servePGlite(await PGlite.create(options.dataDir), {
    port: options.port ?? 0,
  });
  const [, port] = served.address.split(':');
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop: served.stop };
}

/**
 * Serves a PGlite database to `pg` clients on 127.0.0.1 (a port; 0 picks a free one) or on a
 * Unix socket (its path, as the tests' databases use). `stop` closes the server, then PGlite.
 */
export async function servePGlite(
  pglite: PGlite,
  listen: { port: number } | { path: string },
): Promise<{ address: string; stop: () => Promise<void> }> {
  // Every connection shares PGlite's single backend: queries run one at a time.
  const server = new PGLiteSocketServer({
    db: pglite,
    ...('path' in listen ? { path: listen.path } : { host: '127.0.0.1', port: listen.port }),
    maxConnections: 50,
  });
  await server.start();
  return {
    address: server.getServerConn(),
    stop: async () => {
      await server.stop();
      await pglite.close();
    },
  };
}
