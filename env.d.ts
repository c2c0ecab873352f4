// Bindings and variables the Worker and the Durable Object receive (see wrangler.toml).
import type { DocumentObject } from "./durable-objects/document-object";

declare global {
  interface Env {
    /** One Durable Object per document, addressed by idFromName(docId). */
    DOCUMENTS: DurableObjectNamespace<DocumentObject>;
    /** The system of record: document index and chunked snapshots. */
    DB: D1Database;
    /** HS256 secret for tokens. Without it, requests are refused unless DEV_OPEN_ACCESS is set. */
    AUTH_SECRET?: string;
    /** "true" only in local development (set by `npm start`): serve without tokens. */
    DEV_OPEN_ACCESS?: string;
    /** Comma-separated browser origins allowed to open sockets, or "*". */
    ALLOWED_ORIGINS?: string;
    [key: string]: unknown;
  }
}

export {};
