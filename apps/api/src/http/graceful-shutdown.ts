// How the API stops for a deploy or a scale-down (SIGTERM) without failing anyone's request:
// readiness turns 503 at once so the load balancer stops sending traffic, every answer from then
// on closes its connection so keep-alive clients reconnect elsewhere, and requests under way
// finish. An upload that would outlast the grace period is aborted cleanly (its row and object
// are removed) so it cannot hold the process past the platform's SIGKILL.
// See docs/decisions/014-early-answers-and-shutdown.md.
import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import type { Logger } from '@shipshape/logger';

/** What the app needs to know about its own shutdown. */
export interface ShutdownState {
  /** True from the stop signal on: readiness answers 503. */
  readonly draining: boolean;
  /** Aborted when the grace period runs out: work still under way (an upload) gives up. */
  readonly deadline: AbortSignal;
}

// How long a kept-alive connection may stay idle before the API closes it (Node's default, made
// explicit because the Caddyfile depends on it). Closing an idle connection races a request the
// client may be sending on it at that moment, so the side in front must give up first: Caddy
// closes its idle connections to the API after 3 s (Caddyfile, `keepalive`). While draining, the
// API closes no idle connection of its own accord either: each is closed by Caddy, or by this
// timeout, or carries one last request whose answer says `Connection: close`.
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
// Past the grace period, how long aborted uploads get to remove what they stored and answer.
export const ABORT_WINDOW_MS = 1_000;

export function createGracefulShutdown({ graceMs, logger }: { graceMs: number; logger: Logger }) {
  const deadline = new AbortController();
  let draining = false;
  const sockets = new Set<Socket>();
  const responses = new Set<ServerResponse>();

  const state: ShutdownState = {
    get draining() {
      return draining;
    },
    deadline: deadline.signal,
  };

  return {
    state,

    /** Follows the server's connections and requests; call it as soon as the server exists. */
    watch(server: Server) {
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      server.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
      });
      server.on('request', (_req, res: ServerResponse) => {
        responses.add(res);
        res.once('close', () => responses.delete(res));
      });
    },

    /** Drains the server; resolves once every connection is closed, within the grace period. */
    async drain(server: Server): Promise<void> {
      draining = true;
      const closeConnection = (res: ServerResponse) => {
        if (!res.headersSent) res.setHeader('Connection', 'close');
      };
      // Before the app sees the request, so whatever answers it says so.
      server.prependListener('request', (_req, res: ServerResponse) => closeConnection(res));
      responses.forEach(closeConnection);

      // http.Server#close would also cut idle keep-alive connections at once, while a request
      // may be on its way on one of them; net.Server#close only stops accepting new ones. Idle
      // connections end by KEEP_ALIVE_TIMEOUT_MS at the latest.
      const allClosed = new Promise<void>((resolve) => {
        NetServer.prototype.close.call(server, () => resolve());
      });

      if (await settlesWithin(allClosed, graceMs)) return;
      logger.warn(
        `${responses.size} request(s) still running after the ${graceMs / 1000} s grace period: aborting them`,
      );
      deadline.abort();
      if (await settlesWithin(allClosed, ABORT_WINDOW_MS)) return;
      for (const socket of sockets) socket.destroy();
      await allClosed;
    },
  };
}

export type GracefulShutdown = ReturnType<typeof createGracefulShutdown>;

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
