// Which view the address asks for: `#account`, `#forgot-password`, a link from an email, or the
// start (sign in, or your notes). Links in emails carry a one-time token in the fragment, which
// browsers never send to a server. It is read once, kept in memory only and taken out of the
// address bar at once, so it stays out of the history, bookmarks and screenshots.

const tokenViews = new Set(['verify-email', 'reset-password', 'confirm-email']);
const plainViews = new Set(['account', 'forgot-password']);

/**
 * The route in the address: `{ view, token? }`, where view is 'home' when the fragment names
 * none. Null for a fragment that names an element of the page, such as the skip link's `#main`:
 * that is a jump within the view shown, not a new view.
 */
function readRoute() {
  const fragment = location.hash.slice(1);
  const separator = fragment.indexOf('=');
  const name = separator === -1 ? fragment : fragment.slice(0, separator);

  if (tokenViews.has(name)) {
    // replaceState, not a new entry: Back does not bring the token back either.
    history.replaceState(history.state, '', location.pathname + location.search);
    return { view: name, token: separator === -1 ? '' : fragment.slice(separator + 1) };
  }
  if (plainViews.has(fragment)) return { view: fragment };
  if (fragment && document.getElementById(fragment)) return null;
  return { view: 'home' };
}

/** A click that asks for the link in a new tab or window is left to the browser. */
const opensElsewhere = (event) =>
  event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;

/**
 * Calls `show(route)` with the route in the address now, then again whenever it changes:
 * the fragment changes (a link, Back and Forward), or a link to "/" is followed, which goes
 * back to the start without reloading the page.
 */
export function followRoutes(show) {
  window.addEventListener('hashchange', () => {
    const route = readRoute();
    if (route) show(route);
  });

  document.addEventListener('click', (event) => {
    const link = event.target.closest?.('a[href="/"]');
    if (!link || event.defaultPrevented || opensElsewhere(event)) return;
    event.preventDefault();
    if (location.hash) history.pushState(null, '', location.pathname + location.search);
    show({ view: 'home' });
  });

  show(readRoute() ?? { view: 'home' });
}

/** Leaves a view's fragment (e.g. `#account` after signing out) without adding to the history. */
export function forgetRoute() {
  if (location.hash) history.replaceState(history.state, '', location.pathname + location.search);
}
