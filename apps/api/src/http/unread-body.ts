// An answer sent before the request's body has been read (a refused upload, a 401 or a 403 in
// front of a large body) ends the connection: it says `Connection: close`, and the rest of the
// body is not read. Keeping the connection alive would mean reading the whole body first, a
// gigabyte read only to be thrown away. See docs/decisions/014-early-answers-and-shutdown.md.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestHandler, Response } from 'express';

// After the answer, input is still read and discarded for a moment, so the client is not sent
// a reset while it is still sending: a reset can destroy the answer before the client reads it.
const LINGER_MS = 2_000;
const LINGER_BYTES = 1024 * 1024;

export const closeIfBodyUnread: RequestHandler = (req, res, next) => {
  // A request without a body (most GETs) has nothing left to read.
  if (!hasBody(req)) {
    next();
    return;
  }
  // Decided when the headers go out, whoever sends them: a route, the error handler, a 401.
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
  res.writeHead = ((...args: unknown[]) => {
    if (!req.complete) {
      res.setHeader('Connection', 'close');
      closeLingering(req.socket, req);
    }
    return writeHead(...args);
  }) as Response['writeHead'];
  next();
};

// A request without a body may be answered before Node has marked it complete (an answer sent
// in the same tick as its headers arrived); only a body still on its way counts.
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Node ends the socket of a `Connection: close` response by calling `destroySoon()` once the
 * response is flushed, which would destroy it with unread input, and so send a reset. For this
 * socket that call becomes a lingering close instead (as Apache and nginx do).
 */
function closeLingering(socket: Socket, req: IncomingMessage) {
  socket.destroySoon = () => {
    socket.end();
    const close = () => {
      clearTimeout(timer);
      socket.destroy();
    };
    const timer = setTimeout(close, LINGER_MS).unref();
    socket.once('close', close);
    socket.once('end', close); // the client has stopped sending

    // Whoever was reading the body (busboy, a JSON parser) lets go; what comes is counted and dropped.
    let discarded = 0;
    req.unpipe();
    req.removeAllListeners('data');
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > LINGER_BYTES) close();
    });
    req.once('end', close); // everything has arrived: nothing is left to reset
    req.resume();
  };
}
