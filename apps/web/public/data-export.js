// "Export my data": asks the server for an export, follows it while the worker writes it,
// then offers the finished document as a download. The notes page and the account view's
// "Delete account" section each have such a card; both follow the same export on the server.

import { api } from './api.js';
import { formatBytes } from './format.js';
import { createPoller } from './poller.js';

const statusText = {
  pending: 'Your export is waiting to start…',
  running: 'Collecting your notes and files…',
};
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const isSettled = (dataExport) => dataExport.status === 'ready' || dataExport.status === 'failed';

/**
 * Wires up the export card `root`. `onSessionEnded()` runs when the API answers 401.
 * Returns `load()`, which shows the export a previous visit asked for (still downloadable, or
 * still under way), and `reset()`, which also stops following an export under way.
 */
export function setUpDataExport({ root, onSessionEnded }) {
  const button = root.querySelector('.export-button');
  const progress = root.querySelector('.export-progress');
  const status = root.querySelector('.export-status');
  const errorMessage = root.querySelector('.export-error');
  const download = root.querySelector('.export-download');

  function render(dataExport) {
    const { status: state } = dataExport;
    progress.hidden = isSettled(dataExport);
    button.disabled = !isSettled(dataExport);
    errorMessage.textContent =
      state === 'failed' ? `The export failed. ${dataExport.failureReason ?? ''}`.trim() : '';

    if (state === 'ready') {
      const size = dataExport.size === null ? '' : ` (${formatBytes(dataExport.size)})`;
      const until = dateFormat.format(new Date(dataExport.expiresAt));
      status.textContent = `Your export is ready${size}. You can download it until ${until}.`;
      download.href = dataExport.downloadUrl;
    } else {
      status.textContent = statusText[state] ?? '';
    }
    download.hidden = state !== 'ready';
  }

  function handleError(error) {
    if (error.status === 401) return onSessionEnded();
    errorMessage.textContent = error.message;
    progress.hidden = true;
    status.textContent = '';
    button.disabled = false;
  }

  const poller = createPoller({
    load: api.getExport,
    isSettled,
    onUpdate: render,
    onError: handleError,
  });

  button.addEventListener('click', async () => {
    button.disabled = true;
    errorMessage.textContent = '';
    download.hidden = true;
    try {
      show(await api.createExport());
    } catch (error) {
      handleError(error);
    }
  });

  function show(dataExport) {
    render(dataExport);
    if (!isSettled(dataExport)) poller.watch(dataExport.id);
  }

  return {
    async load() {
      try {
        const { export: latest } = await api.latestExport();
        if (latest) show(latest);
      } catch (error) {
        handleError(error);
      }
    },

    reset() {
      poller.stopAll();
      progress.hidden = true;
      status.textContent = '';
      errorMessage.textContent = '';
      download.hidden = true;
      download.removeAttribute('href');
      button.disabled = false;
    },
  };
}
