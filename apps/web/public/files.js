// The files section: the upload card and the list of files, newest first, loaded a page at a
// time. Files the server is still processing are polled until they are ready or have failed,
// so their status, dimensions and thumbnail appear without reloading the page.

import { api } from './api.js';
import { createFileCard } from './file-card.js';
import { showAlert } from './feedback.js';
import { createPoller } from './poller.js';
import { setUpUpload } from './upload.js';

const heading = document.getElementById('files-heading');
const list = document.getElementById('file-list');
const emptyState = document.getElementById('files-empty');
const loadMoreButton = document.getElementById('load-more-files');
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
  let nextCursor = null;

  function handleError(error) {
    if (error.status === 401) onSessionEnded();
    else showAlert(error.message);
  }

  function updateEmptyState() {
    emptyState.hidden = list.children.length > 0;
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
      updateEmptyState();
    },
  });

  function cardFor(file) {
    const card = createFileCard(file, {
      onDeleted() {
        forget(file.id);
        updateEmptyState();
        // The focused button went away with the file; put focus somewhere sensible.
        heading.focus();
      },
      onError: handleError,
    });
    cards.set(file.id, card);
    if (!isSettled(file)) poller.watch(file.id);
    return card.item;
  }

  async function loadPage(cursor) {
    try {
      const page = await api.listFiles(cursor);
      list.append(...page.files.map(cardFor));
      nextCursor = page.nextCursor;
      loadMoreButton.hidden = nextCursor === null;
      updateEmptyState();
    } catch (error) {
      handleError(error);
    }
  }

  const upload = setUpUpload({
    onUploaded(file) {
      list.prepend(cardFor(file));
      updateEmptyState();
    },
    onSessionEnded,
  });

  loadMoreButton.addEventListener('click', async () => {
    const shownBefore = list.children.length;
    loadMoreButton.disabled = true;
    await loadPage(nextCursor);
    loadMoreButton.disabled = false;
    // After the last page the focused button disappears: continue at the first new file.
    if (loadMoreButton.hidden) list.children[shownBefore]?.querySelector('a, button')?.focus();
  });

  return {
    load: () => Promise.all([upload.load(), loadPage(null)]),
    reset() {
      poller.stopAll();
      upload.reset();
      cards.clear();
      list.replaceChildren();
      nextCursor = null;
      loadMoreButton.hidden = true;
      emptyState.hidden = true;
      announcer.textContent = '';
    },
  };
}
