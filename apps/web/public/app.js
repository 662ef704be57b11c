// Entry point: asks the API who is signed in, then shows the matching view
// and switches between the two as people sign in and out.

import { api } from './api.js';
import { resetAuth, setUpAuth } from './auth.js';
import { clearAlert, showAlert } from './feedback.js';
import { setUpNotes } from './notes.js';

const authView = document.getElementById('auth-view');
const notesView = document.getElementById('notes-view');
const session = document.getElementById('session');
const sessionEmail = document.getElementById('session-email');
const signOutButton = document.getElementById('sign-out');

const notes = setUpNotes({
  onSessionEnded() {
    showSignedOut();
    showAlert('Your session has ended. Please sign in again.');
    focusSignIn();
  },
});

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
  notesView.hidden = false;
  void notes.load();
}

function showSignedOut() {
  clearAlert();
  session.hidden = true;
  notesView.hidden = true;
  notes.reset();
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
    const { user } = await api.me();
    showSignedIn(user);
  } catch (error) {
    showSignedOut();
    if (error.status !== 401) showAlert(error.message);
  }
}

void start();
