// `createDocumentObject(options)`: the document objects' class for an embedder whose D1 binding
// has another name, or who sets the room limits in code rather than in [vars] (edgesync/server).
import { DEFAULT_LIMITS } from "./config";
import { DocumentObject, type DocumentObjectOptions } from "./document-object";

export type { DocumentObjectOptions };

/** The Durable Object class for `options`; export it under the class_name of your binding. */
export function createDocumentObject(options: DocumentObjectOptions = {}): typeof DocumentObject {
  const fail = (message: string): never => {
    throw new Error(`createDocumentObject: ${message}`);
  };
  for (const key of Object.keys(options))
    if (key !== "db" && key !== "limits") fail(`unknown option ${key} (known: db, limits)`);
  if (options.db !== undefined && !/^[A-Za-z_$][\w$]*$/.test(options.db))
    fail(`db must be a binding name, got ${JSON.stringify(options.db)}`);
  for (const [key, value] of Object.entries(options.limits ?? {})) {
    if (!(key in DEFAULT_LIMITS)) fail(`unknown limit ${key}`);
    if (!(typeof value === "number" && Number.isFinite(value) && value > 0))
      fail(`limits.${key} must be a positive number, got ${JSON.stringify(value)}`);
  }
  const configured = { ...options };
  return class extends DocumentObject {
    static override readonly options = configured;
  };
}
