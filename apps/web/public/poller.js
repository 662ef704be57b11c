// Watches things that change on the server in the background (a file being processed, an
// export being written) by asking for each one again until it settles. The first check comes
// after a second and the pause grows to three, so a slow job costs few requests.

const firstDelay = 1000;
const maxDelay = 3000;
const growth = 1.5;

// No answer at all, or a server error: worth asking again, a little later.
const isTransient = (error) => error.status === 0 || error.status >= 500;

/**
 * `load(id)` fetches the latest version; `isSettled(item)` says when to stop watching it;
 * `onUpdate(item)` receives every version fetched; `onError(error, id)` any lasting failure
 * (after which that id is no longer watched).
 */
export function createPoller({ load, isSettled, onUpdate, onError }) {
  // Each watched id and its pending timer. A response is used only while its timer is still
  // the one recorded here, so an id unwatched mid-request stays unwatched.
  const timers = new Map();

  function schedule(id, delay) {
    const timer = setTimeout(async () => {
      const current = () => timers.get(id) === timer;
      try {
        const item = await load(id);
        if (!current()) return;
        onUpdate(item);
        if (isSettled(item)) timers.delete(id);
        else schedule(id, Math.min(delay * growth, maxDelay));
      } catch (error) {
        if (!current()) return;
        if (isTransient(error)) {
          schedule(id, maxDelay);
        } else {
          timers.delete(id);
          onError(error, id);
        }
      }
    }, delay);
    timers.set(id, timer);
  }

  function unwatch(id) {
    clearTimeout(timers.get(id));
    timers.delete(id);
  }

  return {
    /** Starts watching `id`, unless it is watched already. */
    watch(id) {
      if (!timers.has(id)) schedule(id, firstDelay);
    },
    unwatch,
    stopAll() {
      for (const id of [...timers.keys()]) unwatch(id);
    },
  };
}
