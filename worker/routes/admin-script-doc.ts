// The inspector's script, part two (see admin-script.ts): one document's view, polled every second
// from GET /v1/docs/{id}/stats and /json — live content as JSON and text, log, snapshot and D1
// state, counters, sockets, presence, quarantined rows, write totals, any webhook backlog — and its
// actions: compact now, flush to D1 now, delete after typing the id.
export const ADMIN_SCRIPT_DOCUMENT = String.raw`// ---- one document ----

function stopPolling() {
  if (view.timer !== null) clearTimeout(view.timer);
  view.timer = null;
  view.doc = null;
}

function openDoc(id) {
  stopPolling();
  view.doc = id;
  $("doc-id").textContent = id;
  $("doc-status").textContent = "";
  $("confirm").hidden = true;
  show("doc");
  poll(id);
  loadHistory(id);
}

function poll(id) {
  Promise.all([api(docPath(id, "/stats")), api(docPath(id, "/json"))]).then(
    function (got) {
      if (view.doc !== id) return;
      render(got[0], got[1]);
      $("doc-error").textContent = "";
      view.timer = setTimeout(poll, POLL_MS, id);
    },
    function (err) {
      if (view.doc !== id) return;
      $("doc-error").textContent =
        err.status === 404 ? "The document does not exist (deleted?)." : refusal(err);
      if (err.status !== 404 && err.status !== 401 && err.status !== 403)
        view.timer = setTimeout(poll, POLL_MS * 3, id);
    },
  );
}

function render(inspection, json) {
  var stats = inspection.stats;
  var m = stats.metrics;
  var texts = $("texts");
  texts.textContent = "";
  Object.keys(json).forEach(function (name) {
    if (typeof json[name] !== "string") return;
    texts.appendChild(el("h4", name + " (text)"));
    texts.appendChild(el("pre", json[name], "text"));
  });
  $("json").textContent = JSON.stringify(json, null, 2);
  var load = stats.lastLoad;
  fill($("storage"), [
    ["epoch", stats.epoch],
    ["updates stored", stats.updateCount],
    ["log rows (not compacted)", stats.logRows + " (" + bytes(m.lag.uncompactedBytes) + ")"],
    ["snapshot", bytes(stats.snapshotBytes)],
    ["encoded size", bytes(stats.encodedBytes)],
    ["created / updated", time(stats.createdAt) + " / " + time(stats.updatedAt)],
    ["D1 generation", stats.d1.generation],
    ["D1 has through seq", stats.d1.flushedSeq],
    ["D1 lags by", m.lag.unflushedUpdates + " updates" + (m.lag.unflushedSince ? " since " + time(m.lag.unflushedSince) : "")],
    ["D1 failures", stats.d1.failures + (stats.d1.lastError ? ": " + stats.d1.lastError : "")],
    ["last load", load ? load.source + " in " + load.ms + " ms" + (load.recovered ? " (recovered from D1)" : "") : "—"],
  ]);
  var refusals = Object.keys(m.refusals).map(function (code) {
    return code + " × " + m.refusals[code];
  });
  fill($("counters"), [
    ["loads", m.loads],
    ["connections now / accepted", stats.connections + " / " + m.connectionsAccepted],
    ["frames received", m.framesReceived],
    ["update bytes stored", bytes(m.updateBytesStored)],
    ["compactions", m.compactions],
    ["D1 flushes / failures", m.d1Flushes + " / " + m.d1FlushFailures],
    ["refusals", refusals.join(", ") || "none"],
    ["counters in D1 at", time(m.d1WrittenAt)],
  ]);
  grid(
    $("connections"),
    ["id", "role", "subject", "expires", "awareness ids"],
    inspection.connections.map(function (c) {
      return [c.id.slice(0, 8), c.role, c.sub || "—", c.exp ? time(c.exp * 1000) : "never", c.clientIds.join(", ")];
    }),
    "No open sockets.",
  );
  $("presence").textContent = inspection.presence.length
    ? JSON.stringify(inspection.presence, null, 2)
    : "Nobody present.";
  grid(
    $("quarantine"),
    ["id", "source", "reason", "bytes", "at"],
    stats.quarantined.map(function (q) {
      return [q.id, q.source, q.reason, q.bytes, time(q.at)];
    }),
    "No quarantined rows.",
  );
  fill(
    $("written"),
    Object.keys(stats.written).map(function (k) {
      return [k, stats.written[k]];
    }),
  );
  // Fields other features add to the stats (the webhook outbox's backlog), shown as they come.
  var hooks = Object.keys(stats).filter(function (k) {
    return /webhook/i.test(k);
  });
  $("webhooks-section").hidden = hooks.length === 0;
  $("webhooks").textContent = hooks
    .map(function (k) {
      return k + ": " + JSON.stringify(stats[k], null, 2);
    })
    .join("\n");
}

function act(label, path, method, done, body) {
  var id = view.doc;
  $("doc-status").textContent = label + "…";
  return api(docPath(id, path), method, body).then(function (result) {
    done(result);
    // Show the state after the action at once, not at the next poll.
    if (view.doc === id && view.timer !== null) {
      clearTimeout(view.timer);
      poll(id);
    }
  }, function (err) {
    $("doc-status").textContent = label + " failed: " + err.message;
  });
}

$("compact").addEventListener("click", function () {
  act("Compacting", "/compact", "POST", function (r) {
    $("doc-status").textContent =
      "Compacted: " + r.logRows + " log rows left, snapshot " + bytes(r.snapshotBytes) + ".";
  });
});
$("flush").addEventListener("click", function () {
  act("Flushing to D1", "/flush", "POST", function (r) {
    $("doc-status").textContent =
      "Flushed to D1: generation " + r.d1.generation + " through seq " + r.d1.flushedSeq + ".";
  });
});
$("delete").addEventListener("click", function () {
  $("confirm").hidden = false;
  $("confirm-id").value = "";
  $("confirm-id").focus();
});
$("confirm-cancel").addEventListener("click", function () {
  $("confirm").hidden = true;
});
$("confirm").addEventListener("submit", function (event) {
  event.preventDefault();
  if ($("confirm-id").value !== view.doc) {
    $("doc-status").textContent = "Type the document's id exactly to delete it.";
    return;
  }
  var id = view.doc;
  act("Deleting", "", "DELETE", function () {
    stopPolling();
    $("confirm").hidden = true;
    $("index-status").textContent = "Deleted " + id + ".";
    loadIndex();
  });
});
$("back").addEventListener("click", function () {
  $("index-status").textContent = "";
  loadIndex();
});

`;
