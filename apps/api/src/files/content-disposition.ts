// The original filename is only metadata: it never reaches a storage key, and when it is
// sent back it is sanitised so it cannot break out of the header or name a path.

// Bidirectional controls (embeddings, overrides, isolates and marks) reorder what is shown:
// "invoice\u202Efdp.exe" displays as "invoiceexe.pdf". A filename has no use for them.
const bidiControls = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** A filename safe to store and show: no paths, no control characters, at most 255 characters. */
export function cleanFilename(name: string | undefined): string {
  const base = (name ?? '').split(/[/\\]/).pop() ?? '';
  const cleaned = base
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u001F\u007F]/g, '')
    .replace(bidiControls, '')
    .trim()
    .slice(0, 255);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'file' : cleaned;
}

/** `attachment` with an ASCII fallback and the exact name in RFC 5987 form for modern browsers. */
export function attachmentHeader(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7E]/g, '_').replace(/["\\;]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRFC5987(filename)}`;
}

function encodeRFC5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
