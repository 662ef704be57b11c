// The account view's "Password" section: a new password for the current one. The API signs out
// every other device with it, so whoever knew the old password is locked out.

import { api } from './api.js';
import { clearFieldErrors, reportError, whileSubmitting } from './feedback.js';

const form = document.getElementById('password-form');
const status = document.getElementById('password-status');

function fieldsOf(error) {
  return error.code === 'invalid_credentials'
    ? { currentPassword: error.message, ...error.fields }
    : error.fields;
}

/**
 * `onChanged()` runs after a change (the list of devices is shorter now). `onSessionEnded()`
 * runs when the API answers 401 for the session (not for a wrong password).
 */
export function setUpAccountPassword({ onChanged, onSessionEnded }) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    status.textContent = '';
    void whileSubmitting(form, async () => {
      const data = new FormData(form);
      try {
        await api.changePassword({
          currentPassword: String(data.get('currentPassword')),
          newPassword: String(data.get('newPassword')),
        });
        form.reset();
        status.textContent = 'Your password is changed. Your other devices are signed out.';
        onChanged();
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
