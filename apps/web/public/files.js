// The files section: the upload card and the list of files, newest first, loaded a page at a
// time. Files the server is still processing are polled until they are ready or have failed,
// so their status, dimensions and thumbnail appear without reloading the page.

import { api } from './api.js';
import { createFileCard } from './file-card.js';
import { showAlert } from './feedback.js';
import { pagedList } from './paged-list.js';
import { createPoller } from './poller.js';
import { setUpUpload } from './upload.js';

const heading = document.getElementById('files-heading');
const announcer = document.getElementById('files-status');

// 'refused': the worker found the file was not what it claimed, and deleted it.
const isSettled = (file) => ['ready', 'failed', 'refused'].includes(file.status);

/**
 * Wires up the files section. `onSessionEnded()` runs when the API answers 401.
 * Returns `load()` (limits and the first page) and `reset()` (which also stops all polling).
 */
export function setUpFiles({ onSessionEnded }) {
  // The card of each file shown, by id, so that polled versions reach the right one.
  const cards = new Map();

  function handleError(error) {
    if (error.status === 401) onSessionEnded();
    else showAlert(error.message);
  }

  function forget(id) {
    poller.unwatch(id);
    cards.delete(id);
  }

  const poller = createPoller({
    load: api.getFile,
    isSettled,
    onUpdate(file) {
      cards.get(file.id)?.update(file);
      if (file.status === 'ready') announcer.textContent = `${file.name} is ready.`;
      if (file.status === 'failed' || file.status === 'refused') {
        announcer.textContent = `${file.name}: ${file.failureReason}`;
      }
    },
    onError(error, id) {
      // Deleted in another tab or on another device: it goes from this list too.
      if (error.status !== 404) return handleError(error);
      cards.get(id)?.item.remove();
      forget(id);
      files.updateEmptyState();
    },
  });

  function cardFor(file) {
    const card = createFileCard(file, {
      onDeleted() {
        forget(file.id);
        files.updateEmptyState();
        // The focused button went away with the file; put focus somewhere sensible.
        heading.focus();
      },
      onError: handleError,
    });
    cards.set(file.id, card);
    if (!isSettled(file)) poller.watch(file.id);
    return card.item;
  }

  const files = pagedList({
    list: document.getElementById('file-list'),
    emptyState: document.getElementById('files-empty'),
    loadMoreButton: document.getElementById('load-more-files'),
    async fetchPage(cursor) {
      const page = await api.listFiles(cursor);
      return { items: page.files, nextCursor: page.nextCursor };
    },
    render: cardFor,
    focusable: 'a, button',
    onError: handleError,
  });

  const upload = setUpUpload({
    onUploaded: (file) => files.prepend(cardFor(file)),
    onSessionEnded,
  });

  return {
    load: () => Promise.all([upload.load(), files.load()]),
    reset() {
      poller.stopAll();
      upload.reset();
      cards.clear();
      files.reset();
      announcer.textContent = '';
    },
  };
}
