// The inspector's script, part one (served as <mount>/admin/app.js by admin-page.ts, inside one
// function with part two, admin-script-doc.ts): the token kept in the tab's sessionStorage and sent
// as a Bearer header (never in a URL), sign-in with a clear refusal, and the document index with
// search by prefix and paging. Plain browser JavaScript using only the public REST API under /v1.
export const ADMIN_SCRIPT_CORE = String.raw`var KEY = "edgesync-admin-token";
var POLL_MS = 1000;
// The mount's path: the page is served at <mount>/admin.
var base = location.pathname.replace(/\/admin\/?$/, "");
var $ = function (id) {
  return document.getElementById(id);
};
var view = { cursors: [""], page: 0, next: null, prefix: "", doc: null, timer: null, open: false };

function token() {
  return sessionStorage.getItem(KEY);
}

function api(path, method, body) {
  var headers = {};
  var t = token();
  if (t) headers.Authorization = "Bearer " + t;
  var init = { method: method || "GET", headers: headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(base + path, init).then(function (res) {
    var json = (res.headers.get("Content-Type") || "").indexOf("json") >= 0;
    return (json ? res.json() : res.text()).then(function (body) {
      if (res.ok) return body;
      var error = (body && body.error) || {};
      var err = new Error(error.message || "HTTP " + res.status);
      err.status = res.status;
      err.code = error.code || "";
      throw err;
    });
  });
}

function docPath(id, rest) {
  // "." and ".." cannot travel in a path: the placeholder _ and ?doc= carry them.
  if (id === "." || id === "..") return "/v1/docs/_" + (rest || "") + "?doc=" + encodeURIComponent(id);
  return "/v1/docs/" + encodeURIComponent(id) + (rest || "");
}

function show(section) {
  ["signin", "index", "doc"].forEach(function (name) {
    $(name).hidden = name !== section;
  });
  $("signout").hidden = section === "signin";
}

function el(tag, text, cls) {
  var node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function fill(table, pairs) {
  table.textContent = "";
  pairs.forEach(function (pair) {
    var tr = el("tr");
    tr.appendChild(el("th", pair[0]));
    tr.appendChild(el("td", pair[1]));
    table.appendChild(tr);
  });
}

function grid(table, head, rows, empty) {
  table.textContent = "";
  if (rows.length === 0) {
    var tr0 = el("tr");
    tr0.appendChild(el("td", empty));
    table.appendChild(tr0);
    return;
  }
  var tr = el("tr");
  head.forEach(function (h) {
    tr.appendChild(el("th", h));
  });
  table.appendChild(tr);
  rows.forEach(function (row) {
    var r = el("tr");
    row.forEach(function (cell) {
      // A cell is text, or an element (a button) placed as it is.
      if (cell instanceof Node) r.appendChild(el("td")).appendChild(cell);
      else r.appendChild(el("td", cell));
    });
    table.appendChild(r);
  });
}

function time(ms) {
  return ms ? new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "—";
}

function bytes(n) {
  if (n < 1024) return n + " B";
  if (n < 1048576) return (n / 1024).toFixed(1) + " KiB";
  return (n / 1048576).toFixed(1) + " MiB";
}

// ---- sign in ----

function refusal(err) {
  if (err.status === 401) return "Refused: " + err.message + ". Paste an admin token.";
  if (err.status === 403 && err.code === "forbidden" && /role/.test(err.message))
    return "Refused: this is not an admin token (" + err.message + ").";
  // Another 403: an admin token for some documents only (the index needs "*"), an origin…
  if (err.status === 403)
    return "Refused: " + err.message + ". The inspector needs an admin token for every document (\"*\").";
  return "Could not sign in: " + err.message;
}

function signIn() {
  $("signin-error").textContent = "";
  return api("/v1/docs?limit=1").then(
    function () {
      $("who").textContent = token() ? "signed in with an admin token" : "open access (everyone is admin)";
      loadIndex();
    },
    function (err) {
      sessionStorage.removeItem(KEY);
      show("signin");
      $("signin-error").textContent = refusal(err);
    },
  );
}

$("signin-form").addEventListener("submit", function (event) {
  event.preventDefault();
  var value = $("token").value.trim();
  $("token").value = "";
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
  signIn();
});

$("signout").addEventListener("click", function () {
  sessionStorage.removeItem(KEY);
  stopPolling();
  $("who").textContent = "";
  show("signin");
});

// ---- the document index ----

function loadIndex() {
  stopPolling();
  show("index");
  var cursor = view.cursors[view.page];
  var query = "?limit=20&prefix=" + encodeURIComponent(view.prefix);
  if (cursor) query += "&cursor=" + encodeURIComponent(cursor);
  $("index-error").textContent = "";
  return api("/v1/docs" + query).then(
    function (page) {
      var list = $("docs");
      list.textContent = "";
      if (page.documents.length === 0) list.appendChild(el("li", "No documents.", "muted"));
      page.documents.forEach(function (doc) {
        var li = el("li");
        var button = el("button", doc.id, "doc-link");
        button.addEventListener("click", function () {
          openDoc(doc.id);
        });
        li.appendChild(button);
        li.appendChild(
          el(
            "span",
            bytes(doc.encodedSize) + " · " + doc.updateCount + " updates · generation " +
              doc.generation + " · flushed " + time(doc.flushedAt),
            "muted",
          ),
        );
        list.appendChild(li);
      });
      view.next = page.cursor;
      $("next").disabled = !page.cursor;
      $("prev").disabled = view.page === 0;
      $("page").textContent = "page " + (view.page + 1);
    },
    function (err) {
      $("index-error").textContent = refusal(err);
    },
  );
}

$("search").addEventListener("submit", function (event) {
  event.preventDefault();
  view.prefix = $("prefix").value;
  view.cursors = [""];
  view.page = 0;
  loadIndex();
});
$("next").addEventListener("click", function () {
  if (!view.next) return;
  view.cursors[view.page + 1] = view.next;
  view.page++;
  loadIndex();
});
$("prev").addEventListener("click", function () {
  if (view.page === 0) return;
  view.page--;
  loadIndex();
});

// ---- start: say what admin means here, then sign in with the tab's token, if any ----

api("/health").then(
  function (health) {
    var mode = $("mode");
    view.open = health.auth === "open";
    if (view.open) {
      mode.textContent =
        "Open access: this server runs without AUTH_SECRET (npm start sets DEV_OPEN_ACCESS), " +
        "so every request is treated as admin of every document, and no token is needed. " +
        "A deployed server without AUTH_SECRET refuses everything instead.";
      $("token-hint").textContent = "Leave it empty to continue with open access.";
    } else if (health.auth === "token") {
      mode.textContent =
        "Paste an admin token: role admin, for the document \"*\" (or a prefix ending in *). " +
        "It is kept in this tab's sessionStorage only, never in the URL.";
    } else {
      mode.textContent =
        "This server has no token verification configured: it refuses every request (503).";
    }
    if (token() || view.open) signIn();
  },
  function (err) {
    $("mode").textContent = "The server did not answer /health: " + err.message;
  },
);
`;
