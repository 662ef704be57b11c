// The account view (#account): its address, password, signed-in devices and deletion, each a
// section of its own module. This one shows and empties them together.

import { setUpAccountEmail } from './account-email.js';
import { setUpAccountPassword } from './account-password.js';
import { api } from './api.js';
import { setUpDataExport } from './data-export.js';
import { setUpDeleteAccount } from './delete-account.js';
import { setUpDevices } from './devices.js';
import { showAlert } from './feedback.js';

const view = document.getElementById('account-view');
const heading = document.getElementById('account-heading');

/**
 * `onSessionEnded()` runs when the API answers 401 for the session; `onDeleted(message)` once
 * the account's deletion is under way.
 */
export function setUpAccount({ onSessionEnded, onDeleted }) {
  const email = setUpAccountEmail({ onSessionEnded });
  const devices = setUpDevices({ onSessionEnded });
  const password = setUpAccountPassword({ onChanged: devices.load, onSessionEnded });
  const deletion = setUpDeleteAccount({ onDeleted, onSessionEnded });
  const dataExport = setUpDataExport({
    root: document.getElementById('account-export'),
    onSessionEnded,
  });

  async function loadAccount() {
    try {
      const { user } = await api.account();
      email.show(user);
    } catch (error) {
      if (error.status === 401) onSessionEnded();
      else showAlert(error.message);
    }
  }

  return {
    view,

    /** Shows the view for `user` at once, then fills in what the API adds. */
    show(user) {
      email.show({ ...user, pendingEmail: null });
      view.hidden = false;
      heading.focus();
      void loadAccount();
      void devices.load();
      void dataExport.load();
    },

    /** Hides the view and forgets everything it showed. */
    reset() {
      view.hidden = true;
      for (const section of [email, password, devices, deletion, dataExport]) section.reset();
    },
  };
}
