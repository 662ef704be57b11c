// The signed-out view: a sign-in card and a sign-up card, one visible at a time.

import { api } from './api.js';
import { clearAlert, clearFieldErrors, reportError, whileSubmitting } from './feedback.js';

const cards = {
  'sign-in': document.getElementById('sign-in-card'),
  'sign-up': document.getElementById('sign-up-card'),
};
const signInForm = document.getElementById('sign-in-form');
const signUpForm = document.getElementById('sign-up-form');

// Some errors carry no `fields` but still concern one field; show them there.
const fieldForCode = {
  email_taken: 'email',
  invalid_credentials: 'password',
};

function fieldsOf(error) {
  const field = fieldForCode[error.code];
  return field ? { [field]: error.message } : error.fields;
}

function credentialsFrom(form) {
  const data = new FormData(form);
  // Passwords are sent exactly as typed: spaces may be part of them.
  return { email: String(data.get('email')).trim(), password: String(data.get('password')) };
}

function showCard(name) {
  for (const [cardName, card] of Object.entries(cards)) card.hidden = cardName !== name;
  clearAlert();
  // Move focus to the new card's heading so keyboard and screen reader users know where they are.
  cards[name].querySelector('h1').focus();
}

/**
 * Wires up both forms. `onSignedIn(user)` runs after a successful sign-in or sign-up.
 */
export function setUpAuth({ onSignedIn }) {
  for (const button of document.querySelectorAll('[data-show]')) {
    button.addEventListener('click', () => showCard(button.dataset.show));
  }

  function handleSubmit(form, send) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void whileSubmitting(form, async () => {
        try {
          const { user } = await send(credentialsFrom(form));
          form.reset();
          onSignedIn(user);
        } catch (error) {
          reportError(form, error, fieldsOf(error));
        }
      });
    });
  }

  handleSubmit(signInForm, api.login);
  handleSubmit(signUpForm, api.register);
}

/** Shows the sign-in card with empty, error-free forms. */
export function resetAuth() {
  for (const form of [signInForm, signUpForm]) {
    form.reset();
    clearFieldErrors(form);
  }
  for (const [name, card] of Object.entries(cards)) card.hidden = name !== 'sign-in';
}
