// What the account view's change forms share: each sends one change to the API, says under the
// form that it is done, and shows what went wrong next to the field it concerns.

import { clearFieldErrors, reportError, whileSubmitting } from './feedback.js';

/**
 * On submit, `send(data)` makes the change and resolves to the sentence `status` shows; the
 * form empties. An error whose code is in `fieldForCode` (it carries no `fields` but concerns
 * one field) shows under that field. `onSessionEnded()` runs when the API answers 401 for the
 * session.
 */
export function setUpAccountForm({ form, status, send, fieldForCode = {}, onSessionEnded }) {
  function fieldsOf(error) {
    const field = fieldForCode[error.code];
    return field ? { [field]: error.message } : error.fields;
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    status.textContent = '';
    void whileSubmitting(form, async () => {
      try {
        const message = await send(new FormData(form));
        form.reset();
        status.textContent = message;
      } catch (error) {
        if (error.code === 'unauthenticated') onSessionEnded();
        else reportError(form, error, fieldsOf(error));
      }
    });
  });

  return {
    reset() {
      status.textContent = '';
      form.reset();
      clearFieldErrors(form);
    },
  };
}
