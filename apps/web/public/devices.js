// The account view's "Signed-in devices": where the account is signed in, and a way to sign
// out any other device, one at a time or all at once.

import { api } from './api.js';
import { showAlert } from './feedback.js';
import { formatDay, formatRecent } from './format.js';

const heading = document.getElementById('devices-heading');
const list = document.getElementById('device-list');
const template = document.getElementById('device-template');
const revokeOthersButton = document.getElementById('revoke-others');
const status = document.getElementById('devices-status');

// The place tells apart two devices with the same browser.
const deviceName = (session) => `${session.browser} (${session.place})`;

/** `onSessionEnded()` runs when the API answers 401. */
export function setUpDevices({ onSessionEnded }) {
  function handleError(error) {
    if (error.status === 401) onSessionEnded();
    else showAlert(error.message);
  }

  function rowFor(session) {
    const row = template.content.firstElementChild.cloneNode(true);
    row.querySelector('.device-browser').textContent = session.browser;
    row.querySelector('.device-current').hidden = !session.current;
    row.querySelector('.device-place').textContent = session.place;
    row.querySelector('.device-created').textContent = `Signed in ${formatDay(session.createdAt)}`;
    row.querySelector('.device-seen').textContent =
      `Last active ${formatRecent(session.lastSeenAt)}`;

    const button = row.querySelector('[data-action="revoke"]');
    // Signing this device out is the header's "Sign out"; the list offers only the others.
    button.hidden = session.current;
    // The hidden words make each button's name unique for screen readers.
    row.querySelector('.device-label').textContent = ` ${deviceName(session)}`;
    button.addEventListener('click', () => revoke(session, row, button));
    return row;
  }

  async function revoke(session, row, button) {
    button.disabled = true;
    status.textContent = '';
    try {
      await api.revokeSession(session.id);
      status.textContent = `Signed out ${deviceName(session)}.`;
    } catch (error) {
      button.disabled = false;
      // 404: it was signed out already (it expired, or another tab did it). Either way it is gone.
      if (error.status !== 404) return handleError(error);
    }
    row.remove();
    updateRevokeOthers();
    // The focused button went away with its row.
    heading.focus();
  }

  function updateRevokeOthers() {
    revokeOthersButton.hidden = !list.querySelector('[data-action="revoke"]:not([hidden])');
  }

  async function load() {
    try {
      const { sessions } = await api.listSessions();
      list.replaceChildren(...sessions.map(rowFor));
      updateRevokeOthers();
    } catch (error) {
      handleError(error);
    }
  }

  revokeOthersButton.addEventListener('click', async () => {
    revokeOthersButton.disabled = true;
    status.textContent = '';
    try {
      const { revoked } = await api.revokeOtherSessions();
      status.textContent =
        revoked === 1 ? 'Signed out 1 other device.' : `Signed out ${revoked} other devices.`;
      await load();
      heading.focus();
    } catch (error) {
      handleError(error);
    } finally {
      revokeOthersButton.disabled = false;
    }
  });

  return {
    load,
    reset() {
      list.replaceChildren();
      revokeOthersButton.hidden = true;
      status.textContent = '';
    },
  };
}
