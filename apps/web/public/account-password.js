// The account view's "Password" section: a new password for the current one. The API signs out
// every other device with it, so whoever knew the old password is locked out.

import { setUpAccountForm } from './account-form.js';
import { api } from './api.js';

/**
 * `onChanged()` runs after a change (the list of devices is shorter now). `onSessionEnded()`
 * runs when the API answers 401 for the session (not for a wrong password).
 */
export function setUpAccountPassword({ onChanged, onSessionEnded }) {
  return setUpAccountForm({
    form: document.getElementById('password-form'),
    status: document.getElementById('password-status'),
    fieldForCode: { invalid_credentials: 'currentPassword' },
    onSessionEnded,
    async send(data) {
      await api.changePassword({
        currentPassword: String(data.get('currentPassword')),
        newPassword: String(data.get('newPassword')),
      });
      onChanged();
      return 'Your password is changed. Your other devices are signed out.';
    },
  });
}
