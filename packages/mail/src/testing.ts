// How tests read mail: a client for Mailpit's REST API, which both Mailpit (docker compose) and
// the catcher (pnpm dev, pnpm test, the end-to-end servers) serve. Plain fetch, so the
// end-to-end specs use it too.

export interface MailAddress {
  Name: string;
  Address: string;
}

/** A message in the list (Mailpit gives null for an empty To, Cc or Bcc there). */
export interface MailSummary {
  ID: string;
  MessageID: string;
  From: MailAddress;
  To: MailAddress[] | null;
  Cc?: MailAddress[] | null;
  Bcc?: MailAddress[] | null;
  Subject: string;
  Created: string;
  Snippet: string;
}

/** One message with its bodies. */
export interface MailMessage {
  ID: string;
  MessageID: string;
  From: MailAddress;
  To: MailAddress[];
  Cc?: MailAddress[] | null;
  Bcc?: MailAddress[] | null;
  Subject: string;
  Date: string;
  Text: string;
  HTML: string;
}

export interface MailMatch {
  /** The recipient (To, Cc or Bcc), any case. */
  to: string;
  subject?: RegExp;
}

export interface Mailbox {
  /** Newest first (up to 500: tests look for what just arrived). */
  messages(): Promise<MailSummary[]>;
  message(id: string): Promise<MailMessage>;
  /** The newest message that matches, once it has arrived; fails after `timeoutMs` (10 s). */
  waitFor(match: MailMatch, timeoutMs?: number): Promise<MailMessage>;
  count(match: MailMatch): Promise<number>;
  clear(): Promise<void>;
}

export function mailbox(webUrl: string): Mailbox {
  const base = webUrl.replace(/\/+$/, '');
  async function request(path: string, init?: RequestInit): Promise<Response> {
    const res = await fetch(`${base}${path}`, init);
    if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${base}${path}: ${res.status}`);
    return res;
  }
  async function messages(): Promise<MailSummary[]> {
    const res = await request('/api/v1/messages?limit=500');
    return ((await res.json()) as { messages: MailSummary[] }).messages;
  }
  async function message(id: string): Promise<MailMessage> {
    const res = await request(`/api/v1/message/${encodeURIComponent(id)}`);
    return (await res.json()) as MailMessage;
  }
  const matching = async (match: MailMatch) => (await messages()).filter(matches(match));

  return {
    messages,
    message,
    async waitFor(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const [newest] = await matching(match);
        if (newest) return message(newest.ID);
        if (Date.now() > deadline) {
          throw new Error(
            `No mail to ${match.to}${match.subject ? ` with a subject matching ${String(match.subject)}` : ''} arrived at ${base} within ${timeoutMs} ms`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async count(match) {
      return (await matching(match)).length;
    },
    async clear() {
      await request('/api/v1/messages', { method: 'DELETE' });
    },
  };
}

function matches({ to, subject }: MailMatch) {
  const wanted = to.toLowerCase();
  return (m: MailSummary) =>
    [...(m.To ?? []), ...(m.Cc ?? []), ...(m.Bcc ?? [])].some(
      (a) => a.Address.toLowerCase() === wanted,
    ) &&
    (!subject || subject.test(m.Subject));
}

/**
 * The link a person would follow: the one web address in the text part with a `#` fragment
 * (where the token rides). Throws when there is none, or more than one.
 */
export function linkIn(message: Pick<MailMessage, 'Text' | 'Subject'>): string {
  const found = message.Text.match(/https?:\/\/[^\s<>"]+#[^\s<>"]+/g) ?? [];
  // A sentence's full stop after an address is not part of it.
  const links = [...new Set(found.map((link) => link.replace(/[.,;:!?)]+$/, '')))];
  if (links.length !== 1) {
    throw new Error(
      `Expected one link with a # in "${message.Subject}", found ${links.length}:\n${message.Text}`,
    );
  }
  return links[0] ?? '';
}
