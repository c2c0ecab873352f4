// The demo page: a <textarea> bound to a Y.Text, presence from awareness, and the provider's
// connection and "saved" status, over the client SDK with IndexedDB for offline edits.
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import { IndexedDBStore, SyncProvider, type ProviderStatus } from "../../client/index";

const COLORS = [
  "#e6194b",
  "#3cb44b",
  "#4363d8",
  "#f58231",
  "#911eb4",
  "#008080",
  "#9a6324",
  "#800000",
];

const params = new URLSearchParams(location.search);
const docId = params.get("doc") ?? "demo";
const token = params.get("token") ?? undefined;
const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/sync`;
const store = new IndexedDBStore();
/**
 * Errors after which the provider stops for good: a refused token (the demo's is a fixed string
 * from the URL, so no fresh one can come) and a permanent close. Edits would then stay in this
 * browser only, so the editor is disabled and the pill stops saying "saved".
 */
const PERMANENT_ERRORS = new Set(["token", "closed"]);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const editor = $<HTMLTextAreaElement>("editor");
const statusEl = $("status");
const progressEl = $<HTMLProgressElement>("sync-progress");
const savedEl = $("saved");
const nameInput = $<HTMLInputElement>("name");
const presenceEl = $("presence");
$("doc-id").textContent = docId;

nameInput.value =
  localStorage.getItem("edgesync-demo-name") ?? `guest-${Math.floor(Math.random() * 1000)}`;
const color = COLORS[Math.floor(Math.random() * COLORS.length)]!;

let session = start();

/** One document session; replaced wholesale when the server says the document was deleted. */
function start() {
  const doc = new Y.Doc();
  const text = doc.getText("text");
  const awareness = new Awareness(doc);
  awareness.setLocalStateField("user", { name: nameInput.value, color });
  const provider = new SyncProvider({
    url,
    docId,
    doc,
    awareness,
    store,
    ...(token ? { token } : {}),
  });

  const showStatus = (status: ProviderStatus) => {
    statusEl.dataset.status = status;
    statusEl.textContent = status;
  };
  let stopped = false;
  const showSaved = () => {
    if (stopped) {
      savedEl.dataset.saved = "false";
      savedEl.textContent = "not saving";
      return;
    }
    const saved = !provider.hasUnsavedChanges;
    savedEl.dataset.saved = String(saved);
    savedEl.textContent = saved ? "saved" : provider.status === "connected" ? "saving…" : "unsaved";
  };
  provider.on("status", (s) => (showStatus(s), showSaved()));
  // A large document's first sync comes in parts: show how much has arrived (hidden once synced).
  provider.on("progress", ({ ratio, receivedBytes, totalBytes }) => {
    progressEl.hidden = ratio >= 1;
    progressEl.value = ratio;
    progressEl.title = `loading: ${receivedBytes} of ${totalBytes} bytes`;
    statusEl.textContent = ratio < 1 ? `loading ${Math.floor(ratio * 100)} %` : provider.status;
  });
  provider.on("saved", showSaved);
  provider.on("unsaved", showSaved);
  provider.on("error", (err) => {
    console.warn(`edgesync: ${err.code}: ${err.message}`);
    // Say why (e.g. a refused token stops the provider) until the status changes again.
    statusEl.textContent = `${provider.status} — ${err.code}: ${err.message}`;
    if (PERMANENT_ERRORS.has(err.code)) {
      stopped = true;
      editor.disabled = true;
      showSaved();
    }
  });
  provider.on("reset", () => {
    // The server's document was deleted and recreated: start again from an empty doc.
    void provider.destroy().then(() => {
      awareness.destroy();
      session = start();
    });
  });
  showStatus(provider.status);

  // Local edits: turn the textarea's new value into one Yjs change (common prefix/suffix diff).
  const onInput = () => {
    const before = text.toString();
    const after = editor.value;
    let start = 0;
    while (start < before.length && start < after.length && before[start] === after[start]) start++;
    let end = 0;
    while (
      end < before.length - start &&
      end < after.length - start &&
      before[before.length - 1 - end] === after[after.length - 1 - end]
    )
      end++;
    doc.transact(() => {
      text.delete(start, before.length - start - end);
      text.insert(start, after.slice(start, after.length - end));
    });
  };
  editor.oninput = onInput;

  // Remote edits: rewrite the textarea and carry the selection across the change.
  text.observe((event) => {
    if (event.transaction.local) return showSaved();
    const { selectionStart, selectionEnd } = editor;
    editor.value = text.toString();
    editor.setSelectionRange(shift(selectionStart, event.delta), shift(selectionEnd, event.delta));
  });

  const showPresence = () => {
    presenceEl.replaceChildren(
      ...[...awareness.getStates()].flatMap(([clientId, state]) => {
        const user = (state as { user?: { name: string; color: string } }).user;
        if (!user) return [];
        const li = document.createElement("li");
        li.textContent = clientId === doc.clientID ? `${user.name} (you)` : user.name;
        li.style.setProperty("--color", user.color);
        return [li];
      }),
    );
  };
  awareness.on("change", showPresence);
  nameInput.oninput = () => {
    localStorage.setItem("edgesync-demo-name", nameInput.value);
    awareness.setLocalStateField("user", { name: nameInput.value, color });
  };
  showPresence();

  // The stored copy arrives through text.observe like any remote change.
  editor.value = text.toString();
  editor.disabled = false;
  showSaved();
  return { provider, doc };
}

/** Where index `pos` ends up after a change described by a Yjs text delta. */
function shift(
  pos: number,
  delta: { insert?: unknown; retain?: number; delete?: number }[],
): number {
  let index = 0;
  for (const op of delta) {
    if (index > pos) break;
    if (op.retain !== undefined) index += op.retain;
    else if (typeof op.insert === "string") {
      if (index < pos) pos += op.insert.length;
      index += op.insert.length;
    } else if (op.delete !== undefined) pos -= Math.min(op.delete, pos - index);
  }
  return pos;
}

// Offline reloads: a service worker keeps the page's files (the text itself is in IndexedDB).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker
    .register("/sw.js")
    .catch((err) => console.warn("service worker not registered", err));
}

// For tests and the curious.
(globalThis as { edgesync?: unknown }).edgesync = {
  get provider() {
    return session.provider;
  },
  get doc() {
    return session.doc;
  },
};
