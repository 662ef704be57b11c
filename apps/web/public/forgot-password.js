// "Forgot your password?": asks for a link to choose a new one. The answer is the same whatever
// the address, so the page never tells anyone whether an account uses it.

import { api } from './api.js';
import { clearFieldErrors, reportError, whileSubmitting } from './feedback.js';

const card = document.getElementById('forgot-password-card');
const form = document.getElementById('forgot-password-form');
const status = document.getElementById('forgot-password-status');

export function setUpForgotPassword() {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    status.textContent = '';
    void whileSubmitting(form, async () => {
      try {
        const { message } = await api.forgotPassword(String(form.elements.email.value).trim());
        status.textContent = `${message} The link works for 30 minutes.`;
      } catch (error) {
        // A mistyped address (400, next to the field) or too many requests (429).
        reportError(form, error);
      }
    });
  });

  return {
    card,
    /** Shows the card empty, with the address already typed on the sign-in card if any. */
    show(email = '') {
      form.reset();
      clearFieldErrors(form);
      status.textContent = '';
      form.elements.email.value = email;
      card.hidden = false;
    },
  };
}
