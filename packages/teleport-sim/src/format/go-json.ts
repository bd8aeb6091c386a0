// JSON exactly as Go's encoding/json (and jsoniter in std-lib mode) writes it: the layout of
// JSON.stringify plus Go's HTML-safe escaping of <, > and & and of U+2028/U+2029. Structs keep
// their field order (the objects here are built in it); Go maps print their keys sorted, so
// the fields that are maps in Teleport's types (labels of every kind, traits, annotations)
// are sorted here.

/** Keys whose values are Go maps: `labels`, `node_labels`, `cmd_labels`, `traits`, `*annotations`. */
const MAP_FIELD = /(?:^|_)labels$|^traits$|annotations$/;

function sortedMaps(this: unknown, key: string, value: unknown): unknown {
  if (!MAP_FIELD.test(key) || value === null || typeof value !== 'object' || Array.isArray(value))
    return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function goJson(value: unknown, indent: number): string {
  const text =
    indent > 0 ? JSON.stringify(value, sortedMaps, indent) : JSON.stringify(value, sortedMaps);
  return text
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
