// One file in the list: a thumbnail (or a type icon), its name, size, status and dimensions,
// a download link, and a delete button with an inline confirmation.

import { api } from './api.js';
import { confirmDelete } from './confirm-delete.js';
import { formatBytes } from './format.js';

const template = document.getElementById('file-template');

const statusLabels = {
  uploaded: 'Uploaded',
  processing: 'Processing',
  ready: 'Ready',
  failed: 'Failed',
  // Not what it claimed to be, or over the limit: the worker deleted it and says why.
  refused: 'Refused',
};

// The short word in the placeholder square when there is no thumbnail (yet).
function iconText(contentType) {
  if (contentType.startsWith('image/')) return 'IMG';
  if (contentType === 'application/pdf') return 'PDF';
  if (contentType === 'text/plain') return 'TXT';
  return 'FILE';
}

function render(item, file) {
  // textContent, never innerHTML: a file named "<img onerror=...>.png" must stay plain text.
  item.querySelector('.file-name').textContent = file.name;
  for (const label of item.querySelectorAll('.file-label')) label.textContent = ` ${file.name}`;

  const badge = item.querySelector('.status-badge');
  badge.textContent = statusLabels[file.status] ?? file.status;
  // The stylesheet colours the badge by status; no class juggling needed.
  badge.dataset.status = file.status;

  const size = item.querySelector('.file-size');
  size.textContent = file.size === null ? '' : formatBytes(file.size);
  size.hidden = file.size === null;

  const dimensions = item.querySelector('.file-dimensions');
  const measured = file.width !== null && file.height !== null;
  dimensions.textContent = measured ? `${file.width} × ${file.height} px` : '';
  dimensions.hidden = !measured;

  const failure = item.querySelector('.file-failure');
  failure.textContent = file.failureReason ?? '';
  failure.hidden = file.status !== 'failed' && file.status !== 'refused';

  const download = item.querySelector('[data-action="download"]');
  download.href = file.contentUrl;
  // A refused file's bytes were deleted: there is nothing to download.
  download.hidden = file.status === 'refused';
  renderPreview(item, file);
}

function renderPreview(item, file) {
  const image = item.querySelector('.file-thumbnail');
  const icon = item.querySelector('.file-icon');
  icon.textContent = iconText(file.contentType);
  // Set src only when it changes: every status update must not fetch the picture again.
  if (file.thumbnailUrl && image.getAttribute('src') !== file.thumbnailUrl) {
    image.src = file.thumbnailUrl;
  }
  image.hidden = !file.thumbnailUrl;
  icon.hidden = Boolean(file.thumbnailUrl);
}

/**
 * Builds the list item for `file`. Returns `{ item, update(file) }`: `update` shows a newer
 * version of the same file. `onDeleted()` runs once it is gone from the server;
 * `onError(error)` handles failed requests (it signs the person out on a 401).
 */
export function createFileCard(file, { onDeleted, onError }) {
  const item = template.content.firstElementChild.cloneNode(true);
  const image = item.querySelector('.file-thumbnail');

  // A thumbnail that cannot be loaded leaves the type icon in its place, not a broken image.
  image.addEventListener('error', () => {
    image.hidden = true;
    item.querySelector('.file-icon').hidden = false;
  });

  confirmDelete(item, {
    actions: item.querySelector('.file-actions'),
    confirm: item.querySelector('.file-confirm'),
    deleteOnServer: () => api.deleteFile(file.id),
    onDeleted() {
      item.remove();
      onDeleted();
    },
    onError,
  });

  render(item, file);
  return {
    item,
    update(newer) {
      file = newer;
      render(item, file);
    },
  };
}
