// Deleting an item of a list, as notes and files do: Delete swaps the item's buttons for an
// inline question, "Yes, delete" removes it, "No, keep it" brings the buttons back.

/**
 * Wires the `delete`, `confirm-delete` and `cancel-delete` buttons (by data-action) of `item`.
 * `actions` holds the item's buttons and `confirm` the question. `deleteOnServer()` asks the API
 * to delete it; `onDeleted()` runs once it is gone there, `onError(error)` when that failed.
 */
export function confirmDelete(item, { actions, confirm, deleteOnServer, onDeleted, onError }) {
  const button = (action) => item.querySelector(`[data-action="${action}"]`);

  button('delete').addEventListener('click', () => {
    actions.hidden = true;
    confirm.hidden = false;
    // Focus the safe choice, so a stray Enter does not delete anything.
    button('cancel-delete').focus();
  });

  button('cancel-delete').addEventListener('click', () => {
    actions.hidden = false;
    confirm.hidden = true;
    button('delete').focus();
  });

  button('confirm-delete').addEventListener('click', async () => {
    try {
      await deleteOnServer();
    } catch (error) {
      // A 404 means it is already gone, which is what the person asked for.
      if (error.status !== 404) return onError(error);
    }
    onDeleted();
  });
}
