// The upload card: files arrive by drag and drop or from the file picker and are sent one at a
// time, straight to the bucket, with one progress bar and a Cancel button. Files the limits refuse
// (size, type, room left) are refused here before any byte is sent; the server checks them all
// again, and the worker checks the type from the file's bytes. The client that sends the parts
// (upload-client.js) is loaded only when the first upload starts, so the first page stays small.

import { api } from './api.js';
import { formatBytes, formatTypes } from './format.js';

const dropZone = document.getElementById('drop-zone');
const chooseButton = document.getElementById('choose-files');
const input = document.getElementById('file-input');
const hint = document.getElementById('upload-hint');
const errorMessage = document.getElementById('upload-error');
const progress = document.getElementById('upload-progress');
const progressBar = document.getElementById('upload-progress-bar');
const progressText = document.getElementById('upload-progress-text');
const cancelButton = document.getElementById('upload-cancel');
const status = document.getElementById('upload-status');

// What an error of the upload means to the person uploading, where the server's own message does
// not say it: the codes about the file (too_large, unsupported_type, quota_exceeded,
// size_mismatch) keep the server's message, which names the limit and what is left.
const messages = {
  not_found: 'The upload was cancelled or expired before it finished. Please try again.',
  invalid_parts:
    'The parts of the file did not arrive as sent, so it was not kept. Please try again.',
  network_error: 'The connection was lost and did not come back. Please try again.',
};
// A client module that cannot be fetched: offline, or a new release replaced the old files.
const notLoaded = () => ({
  code: 'not_loaded',
  message: 'The uploader could not be loaded. Check your connection and reload the page.',
});

// Dragged files (as opposed to dragged text or links) list 'Files' among their types.
const carriesFiles = (event) => event.dataTransfer?.types.includes('Files') ?? false;

function showProgress(sent, total) {
  progressBar.max = total;
  progressBar.value = sent;
  const percent = total > 0 ? Math.floor((sent / total) * 100) : 0;
  progressText.textContent = `${formatBytes(sent)} of ${formatBytes(total)} — ${percent}%`;
}

// "photo.png is uploaded." is news for a moment; the file itself then appears in the list.
const STATUS_CLEARS_AFTER_MS = 5000;
let statusTimer;

function showStatus(text, { fleeting = false } = {}) {
  clearTimeout(statusTimer);
  status.textContent = text;
  if (fleeting) statusTimer = setTimeout(() => (status.textContent = ''), STATUS_CLEARS_AFTER_MS);
}

// Each refusal says which file it is about; the server's own message may name it already.
function refusal(file, error) {
  const message = messages[error.code] ?? error.message;
  return message.startsWith(file.name) ? message : `${file.name}: ${message}`;
}

/** Shows `messages` (one a line) under the button and has the button describe them. */
function showErrors(lines) {
  errorMessage.textContent = lines.join('\n');
  const describedBy = lines.length > 0 ? 'upload-error upload-hint' : 'upload-hint';
  chooseButton.setAttribute('aria-describedby', describedBy);
}

/** The client module, fetched once, when the first upload starts. */
let client;
const loadClient = () => {
  client ??= import('./upload-client.js').catch(() => {
    client = undefined;
    throw notLoaded();
  });
  return client;
};

/**
 * Wires up the upload card. `onUploaded(file)` receives each file the server accepted;
 * `onSessionEnded()` runs when the API answers 401. Returns `load()` and `reset()`.
 */
export function setUpUpload({ onUploaded, onSessionEnded }) {
  // From GET /api/files/limits, asked again as each batch of files starts, since files deleted
  // since make room; until it arrives, only the server checks.
  let limits = null;
  const waiting = [];
  const errors = [];
  // Aborted by Cancel and on sign-out: stops the upload under way.
  let aborter = new AbortController();
  let busy = false;

  async function loadLimits() {
    try {
      limits = await api.fileLimits();
      const left = Math.max(0, limits.quotaBytes - limits.usedBytes);
      const room = Number.isFinite(left)
        ? ` ${formatBytes(left)} of ${formatBytes(limits.quotaBytes)} free.`
        : '';
      hint.textContent = `${formatTypes(limits.types)}, up to ${formatBytes(limits.maxBytes)} each.${room}`;
      // The picker offers only these types; dropped files are checked here and by the server.
      input.accept = limits.types.join(',');
    } catch (error) {
      if (error.status === 401) onSessionEnded();
      // Otherwise carry on with the limits known before: the server enforces them all the same.
    }
  }

  /** Why `file` cannot be uploaded, as far as the limits say; null when it may be. */
  function refusedHere(file) {
    if (!limits) return null;
    const size = formatBytes(file.size);
    if (file.size === 0) return `${file.name} is empty: there is nothing to upload.`;
    if (file.size > limits.maxBytes) {
      return `${file.name}: Files can be at most ${formatBytes(limits.maxBytes)}, and this one is ${size}.`;
    }
    // An unknown type ('') is the server's to judge, by the file's name and then its bytes.
    if (file.type && !limits.types.includes(file.type)) {
      return `${file.name}: This type of file is not accepted. Choose ${formatTypes(limits.types)}.`;
    }
    const left = limits.quotaBytes - limits.usedBytes;
    if (file.size > left) {
      return `${file.name}: Not enough room: it is ${size}, and ${formatBytes(Math.max(0, left))} of your ${formatBytes(limits.quotaBytes)} is free.`;
    }
    return null;
  }

  async function send(file) {
    const { signal } = aborter;
    showStatus(`Uploading ${file.name}…`);
    showProgress(0, file.size);
    progress.hidden = false;
    try {
      const { uploadFile } = await loadClient();
      const uploaded = await uploadFile({
        file,
        signal,
        onProgress: showProgress,
        onWaitingForNetwork(waiting) {
          showStatus(
            waiting
              ? `Connection lost. ${file.name} goes on uploading when you are back online.`
              : `Uploading ${file.name}…`,
          );
        },
      });
      if (limits) limits.usedBytes += file.size;
      showStatus(`${file.name} is uploaded.`, { fleeting: true });
      onUploaded(uploaded);
    } catch (error) {
      showStatus('');
      if (error.status === 401) onSessionEnded();
      else if (error.code === 'aborted') {
        if (signal.reason === 'cancel')
          showStatus(`The upload of ${file.name} was cancelled.`, { fleeting: true });
      } else errors.push(refusal(file, error));
    } finally {
      // Cancel goes with the bar; a keyboard user on it carries on from the button beside.
      const hadFocus = progress.contains(document.activeElement);
      progress.hidden = true;
      if (hadFocus) chooseButton.focus();
    }
  }

  // Files picked or dropped while an upload runs join the queue instead of racing it.
  async function enqueue(files) {
    waiting.push(...files);
    if (busy) return;
    busy = true;
    errors.length = 0;
    showErrors(errors);
    await loadLimits();
    while (waiting.length > 0) {
      const file = waiting.shift();
      const refused = refusedHere(file);
      if (refused) errors.push(refused);
      else await send(file);
      showErrors(errors);
    }
    busy = false;
  }

  function stopUploads(reason) {
    waiting.length = 0;
    aborter.abort(reason);
    aborter = new AbortController();
  }

  // Cancel stops the file under way and forgets the ones waiting behind it.
  cancelButton.addEventListener('click', () => {
    stopUploads('cancel');
    chooseButton.focus();
  });

  chooseButton.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    void enqueue([...input.files]);
    // Clear the choice, so that choosing the same file again still counts as a change.
    input.value = '';
  });

  dropZone.addEventListener('dragover', (event) => {
    if (!carriesFiles(event)) return;
    // Cancelling dragover is how a page says "you may drop here".
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    dropZone.classList.add('drop-zone-active');
  });
  dropZone.addEventListener('dragleave', (event) => {
    // Moving onto a child of the zone fires dragleave too; only really leaving counts.
    if (!dropZone.contains(event.relatedTarget)) dropZone.classList.remove('drop-zone-active');
  });
  dropZone.addEventListener('drop', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    dropZone.classList.remove('drop-zone-active');
    void enqueue([...event.dataTransfer.files]);
  });

  // A file dropped just outside the zone would make the browser open it in place of this page,
  // losing any note being written; refuse such drops instead.
  for (const type of ['dragover', 'drop']) {
    window.addEventListener(type, (event) => {
      if (!carriesFiles(event) || dropZone.contains(event.target)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = 'none';
    });
  }

  return {
    load: loadLimits,
    reset() {
      stopUploads('reset');
      errors.length = 0;
      showErrors(errors);
      showStatus('');
      progress.hidden = true;
    },
  };
}
