// A minimal Chrome DevTools Protocol client for workerd's inspector (profiles, heap figures).
import WebSocket from "ws";

/** Minimal Chrome DevTools Protocol client over the inspector WebSocket. */
export async function devtools(port) {
  const list = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
  const ws = new WebSocket(list[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
  let id = 0;
  const pending = new Map();
  ws.on("message", (d) => {
    const msg = JSON.parse(d.toString());
    if (msg.id && pending.has(msg.id)) (pending.get(msg.id)(msg.result), pending.delete(msg.id));
  });
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      pending.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => ws.close() };
}
