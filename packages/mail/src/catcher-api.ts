// The catcher's web side: the part of Mailpit's REST API v1 that tests use, with Mailpit's JSON
// field names (its swagger.json), and the pages a developer reads mail on.
import type { IncomingMessage } from 'node:http';
import type { CaughtMessage } from './catcher';
import { inboxPage, messagePage } from './catcher-pages';

export interface Reply {
  status: number;
  type: string;
  body: string;
}

const text = (status: number, body: string): Reply => ({ status, type: 'text/plain', body });
const json = (value: unknown): Reply => ({
  status: 200,
  type: 'application/json',
  body: `${JSON.stringify(value)}\n`,
});
const html = (body: string): Reply => ({ status: 200, type: 'text/html; charset=utf-8', body });
const notFound = text(404, 'message not found');

/** `messages` is newest first; reading a message marks it read, as in Mailpit. */
export async function answer(messages: CaughtMessage[], req: IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://catcher');
  const path = url.pathname;
  const find = (id: string) => (id === 'latest' ? messages[0] : messages.find((m) => m.ID === id));

  if (path === '/livez' || path === '/readyz') return text(200, 'ok');
  if (path === '/api/v1/messages' && req.method === 'DELETE') {
    const ids = await idsToDelete(req);
    if (ids === 'invalid') return text(400, 'the body must be empty or {"IDs": [...]}');
    const keep = ids ? messages.filter((m) => !ids.includes(m.ID)) : [];
    messages.splice(0, messages.length, ...keep);
    return text(200, 'ok');
  }
  if (path === '/api/v1/messages') return json(list(messages, url.searchParams));

  const [, kind, id = ''] = /^\/(api\/v1\/message|view)\/([\w-]+)$/.exec(path) ?? [];
  if (kind) {
    const message = find(id);
    if (!message) return notFound;
    message.Read = true;
    return kind === 'view' ? html(messagePage(message)) : json(full(message));
  }
  if (path === '/') return html(inboxPage(messages));
  return text(404, '404 page not found');
}

function list(messages: CaughtMessage[], query: URLSearchParams) {
  const start = Math.max(0, Number(query.get('start')) || 0);
  const limit = Math.max(1, Number(query.get('limit')) || 50);
  const page = messages.slice(start, start + limit);
  const unread = messages.filter((m) => !m.Read).length;
  return {
    total: messages.length,
    unread,
    count: page.length,
    messages_count: messages.length,
    messages_unread: unread,
    start,
    tags: [],
    messages: page.map(summary),
  };
}

/** What a list item and a whole message both say of it. */
function envelope(m: CaughtMessage) {
  return {
    ID: m.ID,
    MessageID: m.MessageID,
    From: m.From,
    To: m.To,
    Cc: m.Cc,
    Bcc: m.Bcc,
    ReplyTo: m.ReplyTo,
    Subject: m.Subject,
    Tags: [],
    Size: m.Size,
  };
}

/** A list item: the message without its bodies. */
function summary(m: CaughtMessage) {
  return {
    ...envelope(m),
    Read: m.Read,
    Created: m.Created,
    Attachments: 0,
    Snippet: m.Snippet,
  };
}

function full(m: CaughtMessage) {
  return {
    ...envelope(m),
    ReturnPath: m.From.Address,
    Date: m.Date,
    Text: m.Text,
    HTML: m.HTML,
    Inline: [],
    Attachments: [],
  };
}

/** An empty body deletes every message; `{"IDs": [...]}` only those. */
async function idsToDelete(req: IncomingMessage): Promise<string[] | undefined | 'invalid'> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  if (!body.trim()) return undefined;
  try {
    const { IDs } = JSON.parse(body) as { IDs?: unknown };
    return Array.isArray(IDs) ? IDs.map(String) : 'invalid';
  } catch {
    return 'invalid';
  }
}
