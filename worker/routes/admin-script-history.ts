// The inspector's script, part three (see admin-script.ts): a document's history (docs/history.md)
// — its named versions and checkpoints from GET /v1/docs/{id}/versions, "Save version" (POST
// …/versions) and "Restore" of any of them (POST …/restore, a forward change every client sees),
// after a confirmation. With history off (409 history_disabled) the section says so.
export const ADMIN_SCRIPT_HISTORY = String.raw`// ---- history ----

function loadHistory(id) {
  $("history-status").textContent = "";
  api(docPath(id, "/versions?limit=50")).then(
    function (page) {
      if (view.doc !== id) return;
      grid(
        $("versions"),
        ["id", "kind", "name", "at", "by", "seq", ""],
        page.versions.map(function (v) {
          return [v.id, v.kind, v.name || "—", time(v.ts), v.actor || "—", v.seq, restoreButton(id, v)];
        }),
        "No versions yet.",
      );
    },
    function (err) {
      if (view.doc !== id) return;
      $("versions").textContent = "";
      $("history-status").textContent =
        err.code === "history_disabled" ? "History is off on this deployment (HISTORY_RETENTION_DAYS = 0)." : refusal(err);
    },
  );
}

function restoreButton(id, version) {
  var button = el("button", "Restore");
  button.setAttribute("data-version", version.id);
  button.addEventListener("click", function () {
    var what = version.name ? '"' + version.name + '"' : "checkpoint " + version.id;
    if (!confirm("Restore " + id + " to " + what + "? Every client sees it as a new change; it can be undone by restoring again.")) return;
    act("Restoring", "/restore", "POST", function (r) {
      $("doc-status").textContent = r.changed ? "Restored to " + what + " (seq " + r.seq + ")." : "Already at " + what + ": nothing changed.";
      loadHistory(id);
    }, { version: version.id });
  });
  return button;
}

$("save-version").addEventListener("submit", function (event) {
  event.preventDefault();
  var id = view.doc;
  var name = $("version-name").value.trim();
  if (!name) return;
  act("Saving version", "/versions", "POST", function (r) {
    $("doc-status").textContent = "Saved version " + r.version.id + " (" + r.version.name + ").";
    $("version-name").value = "";
    loadHistory(id);
  }, { name: name });
});
`;
