// Where the links to confirm an address lead (after sign-up, and after asking to change it):
// the page sends the link's token as it opens, then says how that went and what to do next.

import { api } from './api.js';
import { showAlert } from './feedback.js';
import { describeLinkProblem, isLinkProblem } from './link-problems.js';
import { addOutcomeStatus, showOutcome } from './outcome.js';

/**
 * `currentUser()` is who is signed in (or null); `onUserChanged(user)` runs when the link
 * changed them (verified, or a new address). `onSessionEnded()` runs when the API answers 401.
 */
export function setUpEmailLinks({ currentUser, onUserChanged, onSessionEnded }) {
  async function resend() {
    try {
      await api.resendVerification();
      addOutcomeStatus(`We sent a new link to ${currentUser().email}. It works for 24 hours.`);
    } catch (error) {
      if (error.status === 401) onSessionEnded();
      else if (error.code === 'already_verified') {
        addOutcomeStatus('Your address is confirmed already: there is nothing more to do.');
      } else showAlert(error.message); // a 429 says how long to wait before asking again
    }
  }

  // What to do after a link that did not work: ask for a new one, which takes being signed in.
  function nextSteps(kind) {
    const signedIn = Boolean(currentUser());
    if (kind === 'verify-email') {
      return signedIn
        ? [
            { label: 'Send a new link', onClick: resend },
            { label: 'Back to your notes', href: '/' },
          ]
        : [{ label: 'Sign in to send a new one', href: '/' }];
    }
    return [
      {
        label: signedIn ? 'Change your address again' : 'Sign in to change your address again',
        href: '#account',
      },
    ];
  }

  // The signed-in person sees their new state at once, unless the link was someone else's.
  function adopt(user) {
    const signedIn = currentUser();
    if (signedIn && signedIn.id === user.id) onUserChanged({ ...signedIn, ...user });
  }

  const continueTo = () => [
    currentUser() ? { label: 'Continue', href: '/' } : { label: 'Sign in', href: '/' },
  ];

  const succeed = {
    'verify-email': ({ user }) => {
      adopt(user);
      showOutcome({
        title: 'Your address is verified',
        message: `Thank you: ${user.email} is confirmed.`,
        actions: continueTo(),
      });
    },
    'confirm-email': ({ user }) => {
      adopt(user);
      showOutcome({
        title: 'Your address is changed',
        message: `From now on, sign in with ${user.email}.`,
        actions: continueTo(),
      });
    },
  };
  const send = { 'verify-email': api.verifyEmail, 'confirm-email': api.confirmEmail };
  // The route being checked: an answer that comes after its page was left is not shown.
  let checking = null;

  function fail(kind, token, error) {
    if (isLinkProblem(error)) {
      return showOutcome({
        ...describeLinkProblem(kind, error.code),
        problem: true,
        actions: nextSteps(kind),
      });
    }
    if (error.code === 'email_taken') {
      return showOutcome({
        title: 'That address is taken',
        message: `${error.message} Your address has not changed; you can choose another one.`,
        problem: true,
        actions: nextSteps(kind),
      });
    }
    // The server could not be reached, or is busy: the token is still here to try again.
    showOutcome({
      title: 'We could not check your link',
      message: error.message,
      problem: true,
      actions: [{ label: 'Try again', onClick: () => open({ view: kind, token }) }],
    });
  }

  /** Checks the link of `route` ('verify-email' or 'confirm-email') and shows what came of it. */
  async function open({ view: kind, token }) {
    if (!token) return fail(kind, token, { code: 'link_invalid' });
    const route = { view: kind, token };
    checking = route;
    showOutcome({ title: 'Checking your link…', message: 'One moment.', quiet: true });
    try {
      const answer = await send[kind](token);
      if (checking === route) succeed[kind](answer);
    } catch (error) {
      if (checking === route) fail(kind, token, error);
    }
  }

  return {
    open,
    /** Forgets the link being checked, when its page is left. */
    close() {
      checking = null;
    },
  };
}
