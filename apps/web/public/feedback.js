// Showing errors to people: next to the field they concern when there is one,
// otherwise in the page's general alert. Also guards forms against double submits.

const generalError = document.getElementById('general-error');

export function showAlert(message) {
  generalError.textContent = message;
}

export function clearAlert() {
  generalError.textContent = '';
}

/**
 * Puts `message` under the form field called `name`. Returns false when the form has no such
 * field, so the caller can show the message somewhere else instead.
 */
function showFieldError(form, name, message) {
  const input = form.elements.namedItem(name);
  const error = input?.closest('.field')?.querySelector('.field-error');
  if (!error) return false;

  error.id = `${input.id}-error`;
  error.textContent = message;
  input.setAttribute('aria-invalid', 'true');
  // The error goes first so a screen reader announces it before any hint.
  const described = (input.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
  input.setAttribute('aria-describedby', [error.id, ...described].join(' '));
  return true;
}

export function clearFieldErrors(form) {
  for (const error of form.querySelectorAll('.field-error')) {
    const input = error.closest('.field').querySelector('input, textarea');
    const described = (input.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .filter((id) => id && id !== error.id);
    if (described.length > 0) input.setAttribute('aria-describedby', described.join(' '));
    else input.removeAttribute('aria-describedby');
    input.removeAttribute('aria-invalid');
    error.textContent = '';
  }
}

/**
 * Shows an ApiError for `form`: each entry of `fields` next to its input (the first invalid
 * input gets focus), and anything that fits no field in the general alert.
 */
export function reportError(form, error, fields = error.fields) {
  clearFieldErrors(form);
  const entries = Object.entries(fields ?? {});
  const unplaced = entries.filter(([name, message]) => !showFieldError(form, name, message));

  if (entries.length === 0) showAlert(error.message);
  else if (unplaced.length > 0) showAlert(unplaced.map(([, message]) => message).join(' '));

  form.querySelector('[aria-invalid="true"]')?.focus();
}

/**
 * Runs `task` with the form's submit button disabled, so a second click cannot send the
 * same request twice, and clears old errors first.
 */
export async function whileSubmitting(form, task) {
  const submit = form.querySelector('[type="submit"]');
  const hadFocus = document.activeElement === submit;
  clearAlert();
  clearFieldErrors(form);
  submit.disabled = true;
  try {
    await task();
  } finally {
    submit.disabled = false;
    // Disabling the focused button dropped focus to the page; a keyboard user goes on from here.
    if (hadFocus && document.activeElement === document.body) submit.focus();
  }
}
