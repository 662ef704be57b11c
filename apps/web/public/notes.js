// The signed-in view: the form for a new note and the list of notes, newest first,
// loaded a page at a time.

import { api } from './api.js';
import { clearFieldErrors, reportError, showAlert, whileSubmitting } from './feedback.js';
import { createNoteCard } from './note-card.js';

const heading = document.getElementById('notes-heading');
const createForm = document.getElementById('note-create-form');
const list = document.getElementById('note-list');
const emptyState = document.getElementById('notes-empty');
const loadMoreButton = document.getElementById('load-more');

/**
 * Wires up the notes view. `onSessionEnded()` runs when the API answers 401: the session
 * expired or was signed out elsewhere. Returns `load()` (first page) and `reset()`.
 */
export function setUpNotes({ onSessionEnded }) {
  // The opaque cursor for the next page, or null when the last page is shown.
  let nextCursor = null;

  function handleError(error, form) {
    if (error.status === 401) onSessionEnded();
    else if (form) reportError(form, error);
    else showAlert(error.message);
  }

  function updateEmptyState() {
    emptyState.hidden = list.children.length > 0;
  }

  function cardFor(note) {
    return createNoteCard(note, {
      onDeleted() {
        updateEmptyState();
        // The focused button went away with the note; put focus somewhere sensible.
        heading.focus();
      },
      onError: handleError,
    });
  }

  async function loadPage(cursor) {
    try {
      const page = await api.listNotes(cursor);
      list.append(...page.notes.map(cardFor));
      nextCursor = page.nextCursor;
      loadMoreButton.hidden = nextCursor === null;
      updateEmptyState();
    } catch (error) {
      handleError(error);
    }
  }

  createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void whileSubmitting(createForm, async () => {
      const data = new FormData(createForm);
      try {
        const note = await api.createNote({ title: data.get('title'), body: data.get('body') });
        list.prepend(cardFor(note));
        updateEmptyState();
        createForm.reset();
        createForm.elements.title.focus();
      } catch (error) {
        handleError(error, createForm);
      }
    });
  });

  loadMoreButton.addEventListener('click', async () => {
    const shownBefore = list.children.length;
    loadMoreButton.disabled = true;
    await loadPage(nextCursor);
    loadMoreButton.disabled = false;
    // After the last page the focused button disappears: continue at the first new note.
    if (loadMoreButton.hidden) list.children[shownBefore]?.querySelector('button')?.focus();
  });

  return {
    load: () => loadPage(null),
    reset() {
      list.replaceChildren();
      nextCursor = null;
      loadMoreButton.hidden = true;
      emptyState.hidden = true;
      createForm.reset();
      clearFieldErrors(createForm);
    },
  };
}
