// The upload card: files arrive by drag and drop or from the file picker and are sent one at a
// time, with a progress bar. Files that are too large are refused here, before any byte is sent;
// the server still checks size and type itself (the type from the file's bytes, not its name).

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
const status = document.getElementById('upload-status');

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
const refusal = (file, error) =>
  error.message.startsWith(file.name) ? error.message : `${file.name}: ${error.message}`;

/** Shows `messages` (one a line) under the button and has the button describe them. */
function showErrors(messages) {
  errorMessage.textContent = messages.join('\n');
  const describedBy = messages.length > 0 ? 'upload-error upload-hint' : 'upload-hint';
  chooseButton.setAttribute('aria-describedby', describedBy);
}

/**
 * Wires up the upload card. `onUploaded(file)` receives each file the server accepted;
 * `onSessionEnded()` runs when the API answers 401. Returns `load()` and `reset()`.
 */
export function setUpUpload({ onUploaded, onSessionEnded }) {
  // From GET /api/files/limits; until it arrives, only the server checks sizes.
  let limits = null;
  const waiting = [];
  const errors = [];
  // Aborted on sign-out, which cancels the upload under way.
  let aborter = new AbortController();
  let busy = false;

  function refusedHere(file) {
    if (limits && file.size > limits.maxBytes) {
      const [size, max] = [formatBytes(file.size), formatBytes(limits.maxBytes)];
      return `${file.name}: Files can be at most ${max}, and this one is ${size}.`;
    }
    return null;
  }

  async function send(file) {
    showStatus(`Uploading ${file.name}…`);
    showProgress(0, file.size);
    progress.hidden = false;
    try {
      const uploaded = await api.uploadFile(file, {
        onProgress: showProgress,
        signal: aborter.signal,
      });
      showStatus(`${file.name} is uploaded.`, { fleeting: true });
      onUploaded(uploaded);
    } catch (error) {
      showStatus('');
      if (error.status === 401) onSessionEnded();
      else if (error.code !== 'aborted') errors.push(refusal(file, error));
    } finally {
      progress.hidden = true;
    }
  }

  // Files picked or dropped while an upload runs join the queue instead of racing it.
  async function enqueue(files) {
    waiting.push(...files);
    if (busy) return;
    busy = true;
    errors.length = 0;
    showErrors(errors);
    while (waiting.length > 0) {
      const file = waiting.shift();
      const refusal = refusedHere(file);
      if (refusal) errors.push(refusal);
      else await send(file);
      showErrors(errors);
    }
    busy = false;
  }

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
    async load() {
      try {
        limits ??= await api.fileLimits();
        hint.textContent = `${formatTypes(limits.types)}, up to ${formatBytes(limits.maxBytes)} each.`;
        // The picker offers only these types; dropped files are checked by the server.
        input.accept = limits.types.join(',');
      } catch (error) {
        if (error.status === 401) onSessionEnded();
        // Otherwise carry on without limits: the server enforces them all the same.
      }
    },
    reset() {
      waiting.length = 0;
      aborter.abort();
      aborter = new AbortController();
      errors.length = 0;
      showErrors(errors);
      showStatus('');
      progress.hidden = true;
    },
  };
}
