// GET /admin: the inspector, served by the Worker itself (a `wrangler deploy` publishes no assets),
// as one HTML page and its script (admin-script.ts, admin-script-doc.ts, admin-script-history.ts). The page holds no data:
// everything it shows comes from the REST API with the admin token the operator pastes.
import { createApp } from "../app";
import { ADMIN_SCRIPT_CORE } from "./admin-script";
import { ADMIN_SCRIPT_DOCUMENT } from "./admin-script-doc";
import { ADMIN_SCRIPT_HISTORY } from "./admin-script-history";

/** The page; its script is the relative ./admin/app.js, so it works below any mount path. */
const PAGE = String.raw`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>edgesync inspector</title>
    <style>
      :root { font-family: system-ui, sans-serif; color: #1d232b; background: #f6f7f9; }
      body { margin: 0; }
      [hidden] { display: none !important; }
      header { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem;
        padding: 0.75rem 1rem; background: #1d232b; color: #fff; }
      header h1 { font-size: 1.1rem; margin: 0; flex: 1; }
      header #who { font-size: 0.85rem; opacity: 0.8; }
      main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
      section { background: #fff; border-radius: 8px; padding: 1rem; box-shadow: 0 1px 2px #0002; }
      form { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
      label { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; flex: 1; }
      input { flex: 1; min-width: 10rem; padding: 0.5rem; font: inherit; border: 1px solid #aab;
        border-radius: 4px; }
      button { padding: 0.5rem 0.8rem; font: inherit; border: 1px solid #557; border-radius: 4px;
        background: #eef; cursor: pointer; }
      button:disabled { opacity: 0.4; cursor: default; }
      button.danger { background: #fee; border-color: #a33; color: #a33; }
      .error { color: #b00020; }
      .muted { color: #667; font-size: 0.85rem; }
      #docs { list-style: none; padding: 0; }
      #docs li { display: flex; flex-direction: column; padding: 0.4rem 0;
        border-bottom: 1px solid #eee; }
      .doc-link { text-align: left; background: none; border: none; padding: 0.2rem 0;
        color: #1a4fd0; text-decoration: underline; word-break: break-all; }
      nav, .actions { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center;
        margin: 0.5rem 0; }
      h2 { word-break: break-all; font-size: 1.2rem; }
      h3 { margin: 1.2rem 0 0.4rem; font-size: 1rem; }
      h4 { margin: 0.6rem 0 0.2rem; font-size: 0.9rem; }
      pre { background: #f3f4f6; padding: 0.6rem; border-radius: 4px; white-space: pre-wrap;
        word-break: break-word; max-height: 24rem; overflow: auto; margin: 0; }
      pre.text { background: #fffbe8; }
      .scroll { overflow-x: auto; }
      table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
      th, td { text-align: left; padding: 0.25rem 0.5rem; border-bottom: 1px solid #eee;
        vertical-align: top; word-break: break-word; }
      th { font-weight: 600; white-space: nowrap; }
      #connections td, #quarantine td { white-space: nowrap; }
      #confirm { margin: 0.5rem 0; padding: 0.6rem; border: 1px solid #a33; border-radius: 4px; }
    </style>
  </head>
  <body>
    <header>
      <h1>edgesync inspector</h1>
      <span id="who"></span>
      <button id="signout" hidden>Sign out</button>
    </header>
    <main>
      <section id="signin">
        <p id="mode">Connecting…</p>
        <form id="signin-form">
          <label>Admin token
            <input id="token" type="password" autocomplete="off" spellcheck="false" />
          </label>
          <button type="submit">Sign in</button>
        </form>
        <p id="token-hint" class="muted"></p>
        <p id="signin-error" class="error" role="alert"></p>
      </section>
      <section id="index" hidden>
        <form id="search">
          <input id="prefix" placeholder="Document id prefix" aria-label="Document id prefix" />
          <button type="submit">Search</button>
        </form>
        <p id="index-status" role="status"></p>
        <p id="index-error" class="error" role="alert"></p>
        <ul id="docs"></ul>
        <nav>
          <button id="prev" disabled>Previous</button>
          <button id="next" disabled>Next</button>
          <span id="page" class="muted"></span>
        </nav>
      </section>
      <section id="doc" hidden>
        <button id="back">← Documents</button>
        <h2 id="doc-id"></h2>
        <div class="actions">
          <button id="compact">Compact now</button>
          <button id="flush">Flush to D1 now</button>
          <button id="delete" class="danger">Delete…</button>
        </div>
        <form id="confirm" hidden>
          <label>Type the document id to delete it for good
            <input id="confirm-id" autocomplete="off" spellcheck="false" />
          </label>
          <button type="submit" class="danger">Delete permanently</button>
          <button type="button" id="confirm-cancel">Cancel</button>
        </form>
        <p id="doc-status" role="status"></p>
        <p id="doc-error" class="error" role="alert"></p>
        <h3>Content (live)</h3>
        <div id="texts"></div>
        <h4>JSON</h4>
        <pre id="json"></pre>
        <h3>History</h3>
        <form id="save-version" class="actions">
          <label>Version name <input id="version-name" autocomplete="off" maxlength="200" /></label>
          <button type="submit">Save version</button>
        </form>
        <p id="history-status"></p>
        <div class="scroll"><table id="versions"></table></div>
        <h3>Log, snapshot and D1</h3>
        <div class="scroll"><table id="storage"></table></div>
        <h3>Counters</h3>
        <div class="scroll"><table id="counters"></table></div>
        <h3>Connections</h3>
        <div class="scroll"><table id="connections"></table></div>
        <h3>Presence</h3>
        <pre id="presence"></pre>
        <h3>Quarantined rows</h3>
        <div class="scroll"><table id="quarantine"></table></div>
        <h3>Write totals</h3>
        <div class="scroll"><table id="written"></table></div>
        <div id="webhooks-section" hidden>
          <h3>Webhook backlog</h3>
          <pre id="webhooks"></pre>
        </div>
      </section>
    </main>
    <script src="./admin/app.js"></script>
  </body>
</html>
`;

const SCRIPT = `(function () {\n"use strict";\n${ADMIN_SCRIPT_CORE}\n${ADMIN_SCRIPT_DOCUMENT}\n${ADMIN_SCRIPT_HISTORY}\n})();\n`;

/** Only our own script and inline styles; nothing may frame the page (it holds a token). */
const HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-cache",
};

export const adminPage = createApp()
  .get("/admin", (c) => c.html(PAGE, 200, HEADERS))
  // The page's relative script URL needs the page at /admin, not /admin/.
  .get("/admin/", (c) => c.redirect("../admin", 301))
  .get("/admin/app.js", (c) =>
    c.body(SCRIPT, 200, { ...HEADERS, "Content-Type": "text/javascript; charset=utf-8" }),
  );
