// Where the link to choose a new password leads. The link is checked only when the form is sent,
// with the new password: checking it first would take a request, and the answer could change.

import { api } from './api.js';
import { clearFieldErrors, reportError, whileSubmitting } from './feedback.js';
import { describeLinkProblem, isLinkProblem } from './link-problems.js';
import { showOutcome } from './outcome.js';

const card = document.getElementById('reset-password-card');
const heading = document.getElementById('reset-password-heading');
const form = document.getElementById('reset-password-form');

const askAgain = [{ label: 'Ask for a new link', href: '#forgot-password' }];

/** `onPasswordReset()` runs once the password is changed: every session has ended with it. */
export function setUpResetPassword({ onPasswordReset }) {
  // Kept in memory only, for as long as this view is open.
  let token = '';

  function showProblem(code) {
    card.hidden = true;
    showOutcome({
      ...describeLinkProblem('reset-password', code),
      problem: true,
      actions: askAgain,
    });
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void whileSubmitting(form, async () => {
      try {
        await api.resetPassword(token, String(form.elements.password.value));
        token = '';
        form.reset();
        card.hidden = true;
        onPasswordReset();
        showOutcome({
          title: 'Your password is changed',
          message:
            'Sign in with your new password. For your safety, every device that was signed in ' +
            'to your account is signed out now.',
          actions: [{ label: 'Sign in', href: '/' }],
        });
      } catch (error) {
        if (isLinkProblem(error)) showProblem(error.code);
        else reportError(form, error);
      }
    });
  });

  return {
    /** Shows the form for the token of a reset-password link. */
    open(route) {
      token = route.token;
      form.reset();
      clearFieldErrors(form);
      if (!token) return showProblem('link_invalid');
      card.hidden = false;
      heading.focus();
    },

    reset() {
      token = '';
      form.reset();
      card.hidden = true;
    },
  };
}
