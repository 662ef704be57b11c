// Numbers, types and times as people read them: "3.2 MB", "PNG, JPEG or PDF", "5 minutes ago".

const units = ['bytes', 'KB', 'MB', 'GB'];

/** "12 bytes", "512 KB", "3.2 MB". Powers of 1024, like the server's own error messages. */
export function formatBytes(bytes) {
  if (bytes === 1) return '1 byte';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  // One decimal while it still says something (3.2 MB); none for bytes or large values.
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: digits }).format(value);
  return `${number} ${units[unit]}`;
}

const typeNames = {
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'image/webp': 'WebP',
  'image/gif': 'GIF',
  'application/pdf': 'PDF',
  'text/plain': 'plain text',
};

/** A content type's everyday name; an unknown type is shown as it is. */
export function typeName(contentType) {
  return typeNames[contentType] ?? contentType;
}

const listFormat = new Intl.ListFormat('en', { type: 'disjunction' });

/** "PNG, JPEG or PDF": the API's list of content types as a sentence. */
export function formatTypes(contentTypes) {
  return listFormat.format(contentTypes.map(typeName));
}

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const relativeFormat = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const steps = [
  { unit: 'minute', seconds: 60 },
  { unit: 'hour', seconds: 60 * 60 },
  { unit: 'day', seconds: 24 * 60 * 60 },
];

/** "3 Dec 2026": the day, which is all a list of devices needs. */
export function formatDay(isoTime) {
  return dayFormat.format(new Date(isoTime));
}

/**
 * "just now", "5 minutes ago", "yesterday"; the date once it is a week old, since "23 days ago"
 * makes people count.
 */
export function formatRecent(isoTime, now = Date.now()) {
  const seconds = Math.max(0, (now - new Date(isoTime).getTime()) / 1000);
  if (seconds < 60) return 'just now';
  if (seconds >= 7 * 24 * 60 * 60) return formatDay(isoTime);
  const step = steps.findLast(({ seconds: size }) => seconds >= size);
  return relativeFormat.format(-Math.floor(seconds / step.seconds), step.unit);
}
