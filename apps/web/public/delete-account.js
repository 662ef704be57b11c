// The account view's "Delete account": the password and a ticked box, so that neither a
// stranger at an unlocked screen nor a slip of the finger can delete everything.

import { api } from './api.js';
import { clearFieldErrors, reportError, whileSubmitting } from './feedback.js';

const form = document.getElementById('delete-form');

/**
 * `onDeleted(message)` runs once the API has taken the request: every session has ended and a
 * job removes the rest. `onSessionEnded()` runs when the API answers 401 for the session.
 */
export function setUpDeleteAccount({ onDeleted, onSessionEnded }) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void whileSubmitting(form, async () => {
      if (!form.elements.confirm.checked) {
        const message = 'Tick the box to confirm that you want your account deleted.';
        return reportError(form, { message }, { confirm: message });
      }
      try {
        const { message } = await api.deleteAccount(String(form.elements.password.value));
        form.reset();
        onDeleted(message);
      } catch (error) {
        if (error.code === 'unauthenticated') onSessionEnded();
        else if (error.code === 'invalid_credentials') {
          reportError(form, error, { password: error.message });
        } else reportError(form, error);
      }
    });
  });

  return {
    reset() {
      form.reset();
      clearFieldErrors(form);
    },
  };
}
