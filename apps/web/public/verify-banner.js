// The banner above the signed-in views while the address is unconfirmed: it says where the
// link went and can send it again.

import { api } from './api.js';
import { clearAlert, showAlert } from './feedback.js';

const banner = document.getElementById('verify-banner');
const email = document.getElementById('verify-banner-email');
const resendButton = document.getElementById('verify-resend');
const status = document.getElementById('verify-banner-status');

/**
 * Wires up "Send it again". `onSessionEnded()` runs when the API answers 401, `onVerified()` when
 * it says the address was confirmed meanwhile (in another tab, say).
 */
export function setUpVerifyBanner({ onSessionEnded, onVerified }) {
  resendButton.addEventListener('click', async () => {
    resendButton.disabled = true;
    clearAlert();
    status.textContent = '';
    try {
      await api.resendVerification();
      status.textContent = `We sent a new link to ${email.textContent}. It works for 24 hours.`;
    } catch (error) {
      if (error.status === 401) onSessionEnded();
      else if (error.code === 'already_verified') onVerified();
      // A 429 says, in its message, how long to wait before asking again.
      else showAlert(error.message);
    } finally {
      resendButton.disabled = false;
      // Disabling the focused button dropped focus to the page; give it back.
      if (document.activeElement === document.body && !banner.hidden) resendButton.focus();
    }
  });

  return {
    /** Shows the banner for `user` if their address is unconfirmed, else hides it. */
    show(user) {
      if (user.emailVerified) return this.hide();
      // A banner already shown keeps its status message: the view behind it changed, not it.
      if (email.textContent !== user.email) status.textContent = '';
      email.textContent = user.email;
      banner.hidden = false;
    },

    hide() {
      banner.hidden = true;
      // Signed out, the page should hold no trace of the address.
      email.textContent = '';
      status.textContent = '';
    },
  };
}
