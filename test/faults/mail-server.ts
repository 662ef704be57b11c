// An SMTP server the fault tests take away and bring back on the same ports, so that the API
// and workers, configured once with its address, meet an outage: stopped (connections refused)
// or frozen (connections accepted and never answered, as a hung host would). Running, it is the
// mail catcher, whose inbox lives in memory: a stop forgets the mail it caught so far.
import { createServer, type Server, type Socket } from 'node:net';
import { freePort } from '@shipshape/lifecycle';
import { startMailCatcher, type MailCatcher } from '@shipshape/mail/catcher';
import { mailbox, type Mailbox } from '@shipshape/mail/testing';

export interface RestartableMailServer {
  /** smtp://127.0.0.1:PORT, the same whether it is running, stopped or frozen. */
  smtpUrl: string;
  /** The catcher's inbox, readable while it runs. */
  inbox: Mailbox;
  /** Starts the catcher (again), in place of a frozen server if there is one. */
  start(): Promise<void>;
  /** Nothing listens on the SMTP port any more. */
  stop(): Promise<void>;
  /** A server that accepts connections on the SMTP port and never says a word. */
  freeze(): Promise<void>;
}

export async function startRestartableMailServer(): Promise<RestartableMailServer> {
  const [smtpPort, webPort] = await Promise.all([freePort(), freePort()]);
  let catcher: MailCatcher | undefined;
  let frozen: FrozenServer | undefined;

  async function stop() {
    await frozen?.close();
    frozen = undefined;
    await catcher?.stop();
    catcher = undefined;
  }
  async function start() {
    await frozen?.close();
    frozen = undefined;
    catcher ??= await startMailCatcher({ smtpPort, webPort });
  }

  await start();
  return {
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    inbox: mailbox(`http://127.0.0.1:${webPort}`),
    start,
    stop,
    async freeze() {
      await stop();
      frozen = await listenSilently(smtpPort);
    },
  };
}

interface FrozenServer {
  close(): Promise<void>;
}

async function listenSilently(port: number): Promise<FrozenServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    // The client gives up and leaves; that is the point, not an error.
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
}
