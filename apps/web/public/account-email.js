// The account view's "Email address" section: the address, whether it is confirmed, a change
// waiting for its link, and the form to change it (which needs the current password).

import { setUpAccountForm } from './account-form.js';
import { api } from './api.js';

const address = document.getElementById('account-email');
const badge = document.getElementById('account-email-badge');
const pending = document.getElementById('account-pending-email');

/** Wires up the change form. `onSessionEnded()` runs when the API answers 401 for the session. */
export function setUpAccountEmail({ onSessionEnded }) {
  function showPending(pendingEmail) {
    pending.textContent = pendingEmail
      ? `Waiting for you to open the link we sent to ${pendingEmail}. Until then, your address stays as it is.`
      : '';
  }

  const form = setUpAccountForm({
    form: document.getElementById('email-form'),
    status: document.getElementById('email-status'),
    // These errors carry no `fields` naming this form's inputs but concern one; show them there.
    fieldForCode: { email_taken: 'newEmail', invalid_credentials: 'currentPassword' },
    onSessionEnded,
    async send(data) {
      const { message, pendingEmail } = await api.changeEmail({
        newEmail: String(data.get('newEmail')).trim(),
        // Passwords are sent exactly as typed: spaces may be part of them.
        currentPassword: String(data.get('currentPassword')),
      });
      showPending(pendingEmail);
      return message;
    },
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
      form.reset();
    },
  };
}
