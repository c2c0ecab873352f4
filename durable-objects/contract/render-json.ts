// A document's JSON rendering (GET /v1/docs/:id/json): the Durable Object renders its live
// document and the Worker, when the object cannot serve, the last generation in D1 — the same way.
import * as Y from "yjs";

/** Renders root types as JSON: text → string, map → object, array → array, XML → string. */
export function renderJson(doc: Y.Doc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, type] of doc.share) out[name] = renderType(doc, name, type);
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Yjs types root types this way
function renderType(doc: Y.Doc, name: string, type: Y.AbstractType<any>): unknown {
  if (type instanceof Y.Text) return type.toString();
  if (type instanceof Y.Map) return type.toJSON();
  if (type instanceof Y.Array) return type.toJSON();
  if (type instanceof Y.XmlFragment) return type.toString();
  // A root type no local code has asked for yet: infer its kind from its content.
  if (type._start === null) return type._map.size > 0 ? doc.getMap(name).toJSON() : null;
  for (let item: Y.Item | null = type._start; item !== null; item = item.right) {
    const content = item.content;
    if (
      content instanceof Y.ContentString ||
      content instanceof Y.ContentFormat ||
      content instanceof Y.ContentEmbed
    ) {
      return doc.getText(name).toString();
    }
    if (content instanceof Y.ContentType) {
      const inner = content.type;
      if (
        inner instanceof Y.XmlElement ||
        inner instanceof Y.XmlText ||
        inner instanceof Y.XmlHook
      ) {
        return doc.getXmlFragment(name).toString();
      }
    }
    if (!item.deleted) break;
  }
  return doc.getArray(name).toJSON();
}
