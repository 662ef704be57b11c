// The account view's "Email address" section: the address, whether it is confirmed, a change
// waiting for its link, and the form to change it (which needs the current password).

import { api } from './api.js';
import { clearFieldErrors, reportError, whileSubmitting } from './feedback.js';

const address = document.getElementById('account-email');
const badge = document.getElementById('account-email-badge');
const pending = document.getElementById('account-pending-email');
const form = document.getElementById('email-form');
const status = document.getElementById('email-status');

// These errors carry no `fields` but concern one field; show them there.
const fieldForCode = { email_taken: 'newEmail', invalid_credentials: 'currentPassword' };

function fieldsOf(error) {
  const field = fieldForCode[error.code];
  return field ? { [field]: error.message } : error.fields;
}

/** Wires up the change form. `onSessionEnded()` runs when the API answers 401 for the session. */
export function setUpAccountEmail({ onSessionEnded }) {
  function showPending(pendingEmail) {
    pending.textContent = pendingEmail
      ? `Waiting for you to open the link we sent to ${pendingEmail}. Until then, your address stays as it is.`
      : '';
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    status.textContent = '';
    void whileSubmitting(form, async () => {
      const data = new FormData(form);
      try {
        const { message, pendingEmail } = await api.changeEmail({
          newEmail: String(data.get('newEmail')).trim(),
          // Passwords are sent exactly as typed: spaces may be part of them.
          currentPassword: String(data.get('currentPassword')),
        });
        form.reset();
        showPending(pendingEmail);
        status.textContent = message;
      } catch (error) {
        if (error.code === 'unauthenticated') onSessionEnded();
        else reportError(form, error, fieldsOf(error));
      }
    });
  });

  return {
    /** Shows the account of GET /api/account. */
    show(account) {
      address.textContent = account.email;
      badge.textContent = account.emailVerified ? 'Confirmed' : 'Not confirmed yet';
      badge.dataset.status = account.emailVerified ? 'confirmed' : 'unconfirmed';
      showPending(account.pendingEmail);
    },

    reset() {
      address.textContent = '';
      badge.textContent = '';
      pending.textContent = '';
      status.textContent = '';
      form.reset();
      clearFieldErrors(form);
    },
  };
}
