// Entry point: asks the API who is signed in, then shows the matching view
// and switches between the two as people sign in and out.

import { api } from './api.js';
import { resetAuth, setUpAuth } from './auth.js';
import { setUpDataExport } from './data-export.js';
import { clearAlert, showAlert } from './feedback.js';
import { setUpFiles } from './files.js';
import { setUpNotes } from './notes.js';

const authView = document.getElementById('auth-view');
const signedInViews = ['notes-view', 'files-view', 'export-view'].map((id) =>
  document.getElementById(id),
);
const session = document.getElementById('session');
const sessionEmail = document.getElementById('session-email');
const signOutButton = document.getElementById('sign-out');

// Any part of the signed-in view can find that the session is over (an API call answers 401).
function onSessionEnded() {
  showSignedOut();
  showAlert('Your session has ended. Please sign in again.');
  focusSignIn();
}

const notes = setUpNotes({ onSessionEnded });
const files = setUpFiles({ onSessionEnded });
const dataExport = setUpDataExport({ onSessionEnded });

setUpAuth({
  onSignedIn(user) {
    showSignedIn(user);
    document.getElementById('notes-heading').focus();
  },
});

function showSignedIn(user) {
  clearAlert();
  sessionEmail.textContent = user.email;
  session.hidden = false;
  authView.hidden = true;
  for (const view of signedInViews) view.hidden = false;
  void notes.load();
  void files.load();
  void dataExport.load();
}

function showSignedOut() {
  clearAlert();
  session.hidden = true;
  for (const view of signedInViews) view.hidden = true;
  notes.reset();
  // Also stops polling for file and export status: nobody is signed in to see it.
  files.reset();
  dataExport.reset();
  resetAuth();
  authView.hidden = false;
}

// After a view change, focus goes to the new view's heading so that keyboard and screen
// reader users start from the top of it (not from a button that no longer exists).
function focusSignIn() {
  document.getElementById('sign-in-heading').focus();
}

signOutButton.addEventListener('click', async () => {
  try {
    await api.logout();
  } catch (error) {
    // A 401 means the session was already over, which is what signing out wants anyway.
    if (error.status !== 401) return showAlert(error.message);
  }
  showSignedOut();
  focusSignIn();
});

async function start() {
  try {
    const { user } = await api.session();
    if (user) showSignedIn(user);
    else showSignedOut();
  } catch (error) {
    showSignedOut();
    showAlert(error.message);
  }
}

void start();
