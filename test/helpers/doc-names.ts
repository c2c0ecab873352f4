// Document names real apps use (issue 25: Hocuspocus and Tiptap accept any room name) and the
// two that URL parsers drop from a path (issue 26). Every door must reach each of them.
export const NAMES_APPS_USE = [
  "org/42/doc",
  "Meeting notes 2026",
  "äöü",
  "漢字",
  "🌟",
  "<>{}|^ß",
  "*",
  "back\\slash",
  ".",
  "..",
];
