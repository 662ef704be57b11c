// A list shown newest first, a page at a time, with a "Load more" button and a line for when it
// is empty: the notes and the files.

/**
 * `fetchPage(cursor)` resolves to `{ items, nextCursor }` (null cursor: the first page; null
 * nextCursor: that was the last); `render(item)` makes its element; `onError(error)` handles a
 * page that could not be loaded. `focusable` selects what takes focus in the first new element
 * when "Load more" goes away after the last page.
 */
export function pagedList({
  list,
  emptyState,
  loadMoreButton,
  fetchPage,
  render,
  focusable,
  onError,
}) {
  // The opaque cursor for the next page, or null when the last page is shown.
  let nextCursor = null;

  function updateEmptyState() {
    emptyState.hidden = list.children.length > 0;
  }

  async function showPage(cursor) {
    try {
      const page = await fetchPage(cursor);
      list.append(...page.items.map(render));
      nextCursor = page.nextCursor;
      loadMoreButton.hidden = nextCursor === null;
      updateEmptyState();
    } catch (error) {
      onError(error);
    }
  }

  loadMoreButton.addEventListener('click', async () => {
    const shownBefore = list.children.length;
    loadMoreButton.disabled = true;
    await showPage(nextCursor);
    loadMoreButton.disabled = false;
    // After the last page the focused button disappears: continue at the first new item.
    if (loadMoreButton.hidden) list.children[shownBefore]?.querySelector(focusable)?.focus();
  });

  return {
    /** Shows the first page. */
    load: () => showPage(null),
    /** Puts a new element at the top, where the newest go. */
    prepend(element) {
      list.prepend(element);
      updateEmptyState();
    },
    /** Shows or hides the empty line after an element left the list. */
    updateEmptyState,
    reset() {
      list.replaceChildren();
      nextCursor = null;
      loadMoreButton.hidden = true;
      emptyState.hidden = true;
    },
  };
}
