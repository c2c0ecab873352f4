// The one table from an HTTP refusal of a document socket to the close code a client is told:
// `/sync/:id?ext=1` upgrades and every relay channel (worker/relay/channel.ts) use it.
import { CloseCode } from "../../protocol/close-codes";

const CLOSE_FOR_STATUS: Record<number, number> = {
  400: CloseCode.ProtocolError,
  401: CloseCode.Unauthenticated,
  403: CloseCode.Forbidden,
  404: CloseCode.ProtocolError,
  413: CloseCode.MessageTooBig,
  429: CloseCode.RateLimited,
  503: CloseCode.DocumentUnavailable,
};

/** The close code a client is told for an HTTP refusal `status`; `fallback` for the rest. */
export function closeCodeForStatus(status: number, fallback: number): number {
  return CLOSE_FOR_STATUS[status] ?? fallback;
}

/** The fallback for statuses outside the table: a server error is transient, the rest permanent. */
export function closeCodeForRefusal(status: number): number {
  return closeCodeForStatus(
    status,
    status >= 500 ? CloseCode.InternalError : CloseCode.ProtocolError,
  );
}
