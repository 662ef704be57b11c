// The signed-in view: the form for a new note and the list of notes, newest first,
// loaded a page at a time.

import { api } from './api.js';
import { clearFieldErrors, reportError, showAlert, whileSubmitting } from './feedback.js';
import { createNoteCard } from './note-card.js';
import { pagedList } from './paged-list.js';

const heading = document.getElementById('notes-heading');
const createForm = document.getElementById('note-create-form');

/**
 * Wires up the notes view. `onSessionEnded()` runs when the API answers 401: the session
 * expired or was signed out elsewhere. Returns `load()` (first page) and `reset()`.
 */
export function setUpNotes({ onSessionEnded }) {
  function handleError(error, form) {
    if (error.status === 401) onSessionEnded();
    else if (form) reportError(form, error);
    else showAlert(error.message);
  }

  function cardFor(note) {
    return createNoteCard(note, {
      onDeleted() {
        notes.updateEmptyState();
        // The focused button went away with the note; put focus somewhere sensible.
        heading.focus();
      },
      onError: handleError,
    });
  }

  const notes = pagedList({
    list: document.getElementById('note-list'),
    emptyState: document.getElementById('notes-empty'),
    loadMoreButton: document.getElementById('load-more'),
    async fetchPage(cursor) {
      const page = await api.listNotes(cursor);
      return { items: page.notes, nextCursor: page.nextCursor };
    },
    render: cardFor,
    focusable: 'button',
    onError: handleError,
  });

  createForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void whileSubmitting(createForm, async () => {
      const data = new FormData(createForm);
      try {
        const note = await api.createNote({ title: data.get('title'), body: data.get('body') });
        notes.prepend(cardFor(note));
        createForm.reset();
        createForm.elements.title.focus();
      } catch (error) {
        handleError(error, createForm);
      }
    });
  });

  return {
    load: notes.load,
    reset() {
      notes.reset();
      createForm.reset();
      clearFieldErrors(createForm);
    },
  };
}
