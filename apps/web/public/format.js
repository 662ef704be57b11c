// Numbers and types the way people read them: "3.2 MB", "PNG, JPEG or PDF".

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
