// A mail catcher so `pnpm dev` and the tests run with nothing but Node installed: it keeps every
// message in memory and serves the same REST API as Mailpit (compose), so tests read mail one way.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { answer } from './catcher-api';

export interface MailCatcher {
  /** Where to send: smtp://host:port, no credentials, no TLS. */
  smtpUrl: string;
  /** The inbox page at `/` and Mailpit's REST API under `/api/v1`. */
  webUrl: string;
  stop(): Promise<void>;
}

export interface Address {
  Name: string;
  Address: string;
}

/** One caught message, with Mailpit's field names. */
export interface CaughtMessage {
  ID: string;
  MessageID: string;
  Read: boolean;
  From: Address;
  To: Address[];
  Cc: Address[];
  Bcc: Address[];
  ReplyTo: Address[];
  Subject: string;
  Created: string;
  Date: string;
  Text: string;
  HTML: string;
  Snippet: string;
  Size: number;
}

// Like Mailpit's default --max: a dev server left running for weeks keeps the newest 500.
const maxMessages = 500;

/** Ports 0 (the default) pick free ones. */
export async function startMailCatcher({
  smtpPort = 0,
  webPort = 0,
  host = '127.0.0.1',
}: { smtpPort?: number; webPort?: number; host?: string } = {}): Promise<MailCatcher> {
  const messages: CaughtMessage[] = []; // newest first

  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    logger: false,
    // Stopping waits this long for a client still connected, not smtp-server's 30 s.
    closeTimeout: 1000,
    onData(stream, session, callback) {
      const recipients = session.envelope.rcptTo.map((rcpt) => rcpt.address);
      readAll(stream)
        .then(async (raw) => {
          messages.unshift(toMessage(await simpleParser(raw), raw.length, recipients));
          messages.splice(maxMessages);
          callback();
        })
        .catch((error: unknown) => {
          callback(error instanceof Error ? error : new Error(String(error)));
        });
    },
  });
  // A client that drops its connection is its own business, not a reason to stop.
  smtp.on('error', () => undefined);
  const web = createServer((req, res) => {
    answer(messages, req)
      .catch((error: unknown) => ({ status: 500, type: 'text/plain', body: String(error) }))
      .then(
        ({ status, type, body }) => {
          // The pages show mail as it came, scripts and all: nothing in them may run.
          res.writeHead(status, {
            'content-type': type,
            'content-security-policy':
              "default-src 'none'; style-src 'unsafe-inline'; img-src * data:",
          });
          res.end(body);
        },
        () => undefined,
      );
  });

  try {
    await listen(smtp.server, smtpPort, host);
    await listen(web, webPort, host);
  } catch (error) {
    // A port in use: nothing stays half-started.
    await Promise.all([closeQuietly(smtp.server), closeQuietly(web)]);
    throw error;
  }
  return {
    smtpUrl: `smtp://${host}:${port(smtp.server)}`,
    webUrl: `http://${host}:${port(web)}`,
    async stop() {
      web.closeAllConnections();
      await Promise.all([new Promise<void>((resolve) => smtp.close(resolve)), closeQuietly(web)]);
    },
  };
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function toMessage(
  parsed: Awaited<ReturnType<typeof simpleParser>>,
  size: number,
  envelopeRecipients: string[],
): CaughtMessage {
  const to = addresses(parsed.to);
  const cc = addresses(parsed.cc);
  const named = new Set([...to, ...cc].map((a) => a.Address.toLowerCase()));
  const text = parsed.text ?? '';
  const html = typeof parsed.html === 'string' ? parsed.html : '';
  const created = new Date().toISOString();
  return {
    ID: randomBytes(11).toString('base64url'),
    MessageID: (parsed.messageId ?? '').replace(/^<|>$/g, ''),
    Read: false,
    From: addresses(parsed.from)[0] ?? { Name: '', Address: '' },
    To: to,
    Cc: cc,
    // As Mailpit does: envelope recipients the headers do not name were Bcc'd.
    Bcc: envelopeRecipients
      .filter((address) => !named.has(address.toLowerCase()))
      .map((address) => ({ Name: '', Address: address })),
    ReplyTo: addresses(parsed.replyTo),
    Subject: parsed.subject ?? '',
    Created: created,
    Date: parsed.date?.toISOString() ?? created,
    Text: text,
    HTML: html,
    Snippet: snippet(text || html.replace(/<[^>]*>/g, ' ')),
    Size: size,
  };
}

function addresses(field: AddressObject | AddressObject[] | undefined): Address[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects.flatMap((object) =>
    object.value.map((a) => ({ Name: a.name, Address: a.address ?? '' })),
  );
}

/** Mailpit makes it from the HTML part; the text part says the same without markup. */
function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= 200 ? flat : `${flat.slice(0, 200)}...`;
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  server.listen(port, host);
  await once(server, 'listening'); // rejects with the 'error' event (a port in use)
}

function port(server: Server): number {
  return (server.address() as AddressInfo).port;
}

function closeQuietly(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
}
