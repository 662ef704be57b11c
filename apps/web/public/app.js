// Entry point: asks the API who is signed in, then shows the view that the address and the
// session ask for, and switches views as people follow links, sign in and sign out.

import { setUpAccount } from './account.js';
import { api } from './api.js';
import { resetAuth, setUpAuth } from './auth.js';
import { setUpDataExport } from './data-export.js';
import { setUpEmailLinks } from './email-links.js';
import { clearAlert, showAlert } from './feedback.js';
import { setUpFiles } from './files.js';
import { setUpForgotPassword } from './forgot-password.js';
import { setUpNotes } from './notes.js';
import { outcomeCard } from './outcome.js';
import { setUpResetPassword } from './reset-password.js';
import { followRoutes, forgetRoute } from './route.js';
import { setUpVerifyBanner } from './verify-banner.js';

const authView = document.getElementById('auth-view');
const pageView = document.getElementById('page-view');
const signedInViews = ['notes-view', 'files-view', 'export-view'].map((id) =>
  document.getElementById(id),
);
const session = document.getElementById('session');
const sessionEmail = document.getElementById('session-email');
const accountLink = document.getElementById('account-link');
const signOutButton = document.getElementById('sign-out');
const signInEmail = document.getElementById('sign-in-email');
const generalStatus = document.getElementById('general-status');

// Who is signed in (null: nobody; undefined: not known yet), the route the address asked for,
// and the view shown for the two together.
let user;
let route = { view: 'home' };
let shown = null;

// Any part of the signed-in view can find that the session is over (an API call answers 401).
// Someone in the account view comes back to it after signing in again.
function onSessionEnded() {
  user = null;
  if (route.view !== 'account') route = { view: 'home' };
  show();
  showAlert('Your session has ended. Please sign in again.');
}

const notes = setUpNotes({ onSessionEnded });
const files = setUpFiles({ onSessionEnded });
const dataExport = setUpDataExport({
  root: document.getElementById('export-view'),
  onSessionEnded,
});
const account = setUpAccount({
  onSessionEnded,
  onDeleted(message) {
    signedOut();
    generalStatus.textContent = message;
  },
});
const banner = setUpVerifyBanner({
  onSessionEnded,
  onVerified() {
    setUser({ ...user, emailVerified: true });
    generalStatus.textContent = 'Your address is confirmed already.';
  },
});
const forgotPassword = setUpForgotPassword();
const resetPassword = setUpResetPassword({
  // The reset signed out every device, this one too; the outcome card stays in view.
  onPasswordReset: () => setUser(null),
});
const emailLinks = setUpEmailLinks({
  currentUser: () => user,
  onUserChanged: setUser,
  onSessionEnded,
});

setUpAuth({
  onSignedIn(signedIn) {
    user = signedIn;
    show();
  },
});

/** Updates the header and the banner for who is signed in, leaving the view as it is. */
function setUser(next) {
  user = next;
  session.hidden = !user;
  sessionEmail.textContent = user?.email ?? '';
  if (user && (shown === 'notes' || shown === 'account')) banner.show(user);
  else banner.hide();
}

/** The view for the route and the session: a signed-out visitor to #account signs in first. */
function viewFor({ view }) {
  if (view === 'home' || view === 'account') {
    if (!user) return 'sign-in';
    return view === 'home' ? 'notes' : 'account';
  }
  return view;
}

/** Hides `view` and forgets what it showed (and stops polling for it). */
function leave(view) {
  if (view === 'notes') {
    for (const section of signedInViews) section.hidden = true;
    notes.reset();
    files.reset();
    dataExport.reset();
  } else if (view === 'account') {
    account.reset();
  } else if (view === 'sign-in') {
    authView.hidden = true;
  } else if (view) {
    pageView.hidden = true;
    forgotPassword.card.hidden = true;
    resetPassword.reset();
    emailLinks.close();
    outcomeCard.hidden = true;
  }
}

// After a view change, focus goes to the new view's heading so that keyboard and screen
// reader users start from the top of it (not from a button that no longer exists).
const enter = {
  'sign-in'({ focus }) {
    resetAuth();
    authView.hidden = false;
    if (focus) document.getElementById('sign-in-heading').focus();
  },
  notes({ focus }) {
    for (const section of signedInViews) section.hidden = false;
    void notes.load();
    void files.load();
    void dataExport.load();
    if (focus) document.getElementById('notes-heading').focus();
  },
  account: () => account.show(user),
  'forgot-password'({ typedEmail }) {
    pageView.hidden = false;
    forgotPassword.show(typedEmail);
    document.getElementById('forgot-password-heading').focus();
  },
  'reset-password'() {
    pageView.hidden = false;
    resetPassword.open(route);
  },
  'verify-email'() {
    pageView.hidden = false;
    void emailLinks.open(route);
  },
  'confirm-email'() {
    pageView.hidden = false;
    void emailLinks.open(route);
  },
};

/** Shows the view for the current route and session, unless it is shown already. */
function show({ focus = true } = {}) {
  const next = viewFor(route);
  // A link from an email opens its view again, with its own token.
  if (next === shown && route.token === undefined) return setUser(user);

  // Someone who typed their address on the sign-in card need not type it again.
  const typedEmail = shown === 'sign-in' ? signInEmail.value.trim() : '';
  clearAlert();
  generalStatus.textContent = '';
  leave(shown);
  shown = next;
  setUser(user);
  if (next === 'account') accountLink.setAttribute('aria-current', 'page');
  else accountLink.removeAttribute('aria-current');
  enter[next]({ focus, typedEmail });
}

/** Back to the start, signed out; #account is dropped from the address, as it is no use now. */
function signedOut() {
  user = null;
  route = { view: 'home' };
  forgetRoute();
  show();
}

signOutButton.addEventListener('click', async () => {
  try {
    await api.logout();
  } catch (error) {
    // A 401 means the session was already over, which is what signing out wants anyway.
    if (error.status !== 401) return showAlert(error.message);
  }
  signedOut();
});

// The route is read at once, so a link's token leaves the address bar before anything else.
followRoutes((next) => {
  route = next;
  if (user !== undefined) show();
});

async function start() {
  let problem = null;
  try {
    ({ user } = await api.session());
  } catch (error) {
    user = null;
    problem = error;
  }
  // On a plain visit focus stays where the browser puts it; a view the address asked for gets it.
  show({ focus: route.view !== 'home' });
  if (problem) showAlert(problem.message);
}

void start();
