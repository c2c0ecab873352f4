// What every operation starts from: the host (the loaded document: room, store, events, timers)
// and the features on its seam, plus the two steps each takes — open the document, or answer
// why not; and announce a refusal (the `refused` event) before answering it.
import type { Batches, RpcFailure, RpcResult } from "../contract";
import type { DocumentHost } from "../document-host";
import { loadFailure, type LoadMode } from "../backends";
import type { WriteOrigin } from "../events";
import type { Features } from "../features";
import type { Room } from "../room";

export interface Hosted {
  host: DocumentHost;
  features: Features;
  /** Frame batches handled since the object started (the Inbox counts them). */
  batches: Batches;
}

/** Loads document `docId` for an operation, or the 404/503 failure to answer. */
export async function open(
  { host }: Hosted,
  docId: string,
  mode: LoadMode = "existing",
): Promise<Room | RpcFailure> {
  try {
    return await host.open(docId, mode);
  } catch (err) {
    return loadFailure(err, docId);
  }
}

/** Returns `result`; a failure is announced as a `refused` event first. */
export function answer<T>(
  { host }: Hosted,
  origin: WriteOrigin,
  result: RpcResult<T>,
): RpcResult<T> {
  if (!result.ok)
    host.events.emit("refused", { origin, code: result.code, reason: result.message });
  return result;
}
