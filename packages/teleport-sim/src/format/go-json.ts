// JSON exactly as Go's encoding/json (and jsoniter in std-lib mode) writes it: the layout of
// JSON.stringify plus Go's HTML-safe escaping of <, > and & and of U+2028/U+2029.

export function goJson(value: unknown, indent: number): string {
  const text = indent > 0 ? JSON.stringify(value, null, indent) : JSON.stringify(value);
  return text
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
