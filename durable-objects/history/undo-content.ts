// What a document shows, as one comparable value, read from its items whatever its root types are
// (a document rebuilt from updates knows its roots only by name): text with its formatting as
// runs, maps by key, sequences in order, XML elements with their names and attributes.
import * as Y from "yjs";

/** Each non-empty root's content in canonical JSON (sorted keys), by root name. */
export type DocumentContent = Map<string, string>;

export function documentContent(doc: Y.Doc): DocumentContent {
  const content: DocumentContent = new Map();
  for (const [name, type] of doc.share) {
    const value = typeContent(type);
    if (value.seq.length > 0 || Object.keys(value.map).length > 0) {
      content.set(name, canonical(value));
    }
  }
  return content;
}

/** Same roots (an empty root counts as absent) with the same content. */
export function sameContent(a: DocumentContent, b: DocumentContent): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) if (b.get(name) !== value) return false;
  return true;
}

interface TypeContent {
  kind?: string;
  map: Record<string, unknown>;
  seq: unknown[];
}

/**
 * A type's visible content. Sequences read as Y.Text.toDelta does: a format item sets (or, with
 * null, clears) an attribute for what follows it; deleted items, formats included, do not count;
 * adjacent text with equal attributes is one run, so how formatting is split into items does not
 * matter.
 */
function typeContent(type: Y.AbstractType<any>): TypeContent {
  const out: TypeContent = { map: {}, seq: [] };
  const kind = kindOf(type);
  if (kind !== undefined) out.kind = kind;
  for (const [key, item] of type._map) {
    if (!item.deleted) out.map[key] = valueOf(item.content.getContent().at(-1));
  }
  const attrs: Record<string, unknown> = {};
  for (let item = type._start; item !== null; item = item.right) {
    if (item.deleted) continue;
    const c = item.content;
    if (c instanceof Y.ContentFormat) {
      if (c.value === null) delete attrs[c.key];
      else attrs[c.key] = c.value;
      continue;
    }
    const at = canonical(attrs);
    if (c instanceof Y.ContentString) {
      const last = out.seq.at(-1) as { text?: string; attrs?: string } | undefined;
      if (last?.text !== undefined && last.attrs === at) last.text += c.str;
      else out.seq.push({ text: c.str, attrs: at });
      continue;
    }
    for (const value of c.getContent()) out.seq.push({ value: valueOf(value), attrs: at });
  }
  return out;
}

function kindOf(type: Y.AbstractType<any>): string | undefined {
  if (type._item === null) return undefined; // a root: its class depends on who asked for it
  if (type instanceof Y.XmlElement) return `element:${type.nodeName}`;
  if (type instanceof Y.XmlHook) return `hook:${type.hookName}`;
  if (type instanceof Y.XmlText) return "xml-text";
  if (type instanceof Y.XmlFragment) return "xml-fragment";
  if (type instanceof Y.Text) return "text";
  if (type instanceof Y.Map) return "map";
  if (type instanceof Y.Array) return "array";
  return type.constructor.name;
}

function valueOf(value: unknown): unknown {
  if (value instanceof Y.AbstractType) return typeContent(value);
  if (value instanceof Y.Doc) return { subdoc: value.guid };
  if (value instanceof Uint8Array) return { binary: Array.from(value) };
  return value;
}

/** JSON with object keys sorted, so equal content gives equal strings. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
