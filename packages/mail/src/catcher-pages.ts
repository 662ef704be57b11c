// The catcher's pages for a developer's browser: the inbox, newest first, and one message.
// Everything from a mail is escaped; its HTML body runs in a sandboxed frame without scripts,
// and its links open in a new tab, so a verification link can be followed from here.
import type { Address, CaughtMessage } from './catcher';
import { escapeHtml } from './templates';

export function inboxPage(messages: CaughtMessage[]): string {
  const rows = messages.map(
    (m) =>
      `<li class="${m.Read ? '' : 'unread'}"><a href="/view/${m.ID}"><b>${escapeHtml(m.Subject || '(no subject)')}</b></a>` +
      `<div class="meta">To ${addressList(m.To)} · ${escapeHtml(time(m.Created))}</div>` +
      `<div class="meta">${escapeHtml(m.Snippet)}</div></li>`,
  );
  const body = messages.length
    ? `<ul>${rows.join('')}</ul>`
    : '<p>No mail yet. Anything the app sends shows up here.</p>';
  return page(
    'Mail',
    `<h1>Mail <small>(${messages.length})</small></h1>` +
      '<p class="meta">Caught in memory by the development mail catcher: nothing is delivered, and a restart forgets it. ' +
      '<a href="/">Refresh</a> · <a href="/api/v1/messages">JSON</a></p>' +
      body,
  );
}

export function messagePage(m: CaughtMessage): string {
  // srcdoc keeps the HTML on this page; <base target> sends a clicked link out of the frame. It
  // goes after the doctype: anything before one puts the page in quirks mode.
  const withBase = m.HTML.replace(/^(\s*<!doctype[^>]*>)?/i, '$1<base target="_blank">');
  const frame = m.HTML
    ? `<h2>HTML</h2><iframe sandbox="allow-popups allow-popups-to-escape-sandbox" title="HTML body" srcdoc="${escapeHtml(withBase)}"></iframe>`
    : '';
  return page(
    m.Subject || '(no subject)',
    `<p><a href="/">← All mail</a></p><h1>${escapeHtml(m.Subject || '(no subject)')}</h1>` +
      `<dl><dt>From</dt><dd>${addressList([m.From])}</dd><dt>To</dt><dd>${addressList(m.To)}</dd>` +
      (m.Bcc.length ? `<dt>Bcc</dt><dd>${addressList(m.Bcc)}</dd>` : '') +
      `<dt>Date</dt><dd>${escapeHtml(time(m.Date))}</dd></dl>` +
      `<h2>Text</h2><pre>${linkify(escapeHtml(m.Text))}</pre>${frame}`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#1f2328}
ul{list-style:none;padding:0}li{border-bottom:1px solid #ddd;padding:.6rem 0}li.unread b{color:#1d4ed8}
.meta{color:#57606a;font-size:.9em}pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:.75rem}
iframe{width:100%;height:70vh;border:1px solid #ccc}dl{display:grid;grid-template-columns:auto 1fr;gap:.2rem 1rem}dd{margin:0}</style>
</head><body>${body}</body></html>`;
}

function addressList(addresses: Address[]): string {
  return addresses
    .map((a) => escapeHtml(a.Name ? `${a.Name} <${a.Address}>` : a.Address))
    .join(', ');
}

function time(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** Web addresses in already escaped text become links that open in a new tab. */
function linkify(escaped: string): string {
  return escaped.replace(
    // A sentence's full stop or comma after an address is not part of it.
    /https?:\/\/[^\s<>"']+?(?=[.,;:!?)]*(\s|$))/g,
    (url) => `<a href="${url}" target="_blank" rel="noopener">${url}</a>`,
  );
}
