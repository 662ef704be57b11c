// One note in the list: shows it, edits it inline and deletes it after an inline confirmation.

import { api } from './api.js';
import { confirmDelete } from './confirm-delete.js';
import { clearFieldErrors, showAlert, whileSubmitting } from './feedback.js';

const template = document.getElementById('note-template');
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** Clones the template, suffixing each id (and the labels pointing at it) to keep ids unique. */
function cloneTemplate(suffix) {
  const item = template.content.firstElementChild.cloneNode(true);
  for (const element of item.querySelectorAll('[id]')) element.id += `-${suffix}`;
  for (const label of item.querySelectorAll('label[for]')) label.htmlFor += `-${suffix}`;
  return item;
}

function render(item, note) {
  // textContent, never innerHTML: a note titled "<img onerror=...>" must stay plain text.
  item.querySelector('.note-title').textContent = note.title;
  item.querySelector('.note-body').textContent = note.body;
  item.querySelector('.note-body').hidden = note.body === '';
  for (const name of item.querySelectorAll('.note-name')) name.textContent = ` ${note.title}`;

  const time = item.querySelector('time');
  const edited = note.updatedAt !== note.createdAt;
  time.dateTime = note.updatedAt;
  time.textContent = `${edited ? 'Edited' : 'Created'} ${dateFormat.format(new Date(note.updatedAt))}`;
}

/**
 * Builds the list item for `note`. `onDeleted()` runs once it is gone from the server;
 * `onError(error, form?)` handles failed requests (it signs the person out on a 401).
 */
export function createNoteCard(note, { onDeleted, onError }) {
  const item = cloneTemplate(note.id);
  const view = item.querySelector('.note-view');
  const actions = view.querySelector('.note-actions');
  const confirm = view.querySelector('.note-confirm');
  const form = item.querySelector('.note-edit');
  const button = (action) => item.querySelector(`[data-action="${action}"]`);

  function remove() {
    item.remove();
    onDeleted();
  }

  function showView(focusTarget) {
    form.hidden = true;
    view.hidden = false;
    actions.hidden = false;
    confirm.hidden = true;
    focusTarget.focus();
  }

  button('edit').addEventListener('click', () => {
    // Start from the saved note, without errors left over from an earlier, cancelled edit.
    clearFieldErrors(form);
    form.elements.title.value = note.title;
    form.elements.body.value = note.body;
    view.hidden = true;
    form.hidden = false;
    form.elements.title.focus();
  });

  button('cancel-edit').addEventListener('click', () => showView(button('edit')));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void whileSubmitting(form, async () => {
      try {
        note = await api.updateNote(note.id, {
          title: form.elements.title.value,
          body: form.elements.body.value,
        });
        render(item, note);
        showView(button('edit'));
      } catch (error) {
        if (error.status !== 404) return onError(error, form);
        remove();
        showAlert('This note was deleted elsewhere, so your changes were not saved.');
      }
    });
  });

  confirmDelete(item, {
    actions,
    confirm,
    deleteOnServer: () => api.deleteNote(note.id),
    onDeleted: remove,
    onError,
  });

  render(item, note);
  return item;
}
