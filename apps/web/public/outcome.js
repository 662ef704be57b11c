// The outcome card: what became of a link from an email, in a heading and a sentence, and
// buttons for what to do next.

const card = document.getElementById('outcome-card');
const heading = document.getElementById('outcome-heading');
const status = document.getElementById('outcome-status');
const error = document.getElementById('outcome-error');
const actions = document.getElementById('outcome-actions');

/** An action is a link (`href`) or a button (`onClick`); the first one is the main one. */
function actionElement({ label, href, onClick }, index) {
  const element = document.createElement(href ? 'a' : 'button');
  element.className = index === 0 ? 'button' : 'button button-secondary';
  element.textContent = label;
  if (href) element.href = href;
  else {
    element.type = 'button';
    element.addEventListener('click', onClick);
  }
  return element;
}

/**
 * Shows the card. `message` goes in the status region, or in the alert one for a `problem`
 * (screen readers announce it at once). Focus moves to the heading unless `quiet` (while a
 * link is being checked: the answer, a moment later, takes focus instead).
 */
export function showOutcome({ title, message, problem = false, actions: choices = [], quiet }) {
  heading.textContent = title;
  status.textContent = problem ? '' : message;
  status.classList.remove('notice');
  error.textContent = problem ? message : '';
  actions.replaceChildren(...choices.map(actionElement));
  card.hidden = false;
  if (!quiet) heading.focus();
}

/** Adds a status line under the card's message, e.g. the answer to one of its buttons. */
export function addOutcomeStatus(message) {
  status.textContent = message;
  // Set apart from the message above it, which it answers.
  status.classList.add('notice');
}

export const outcomeCard = card;
