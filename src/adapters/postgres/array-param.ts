/**
 * Postgres array literals ("{a,b}") built here rather than by the pg driver, which runs every
 * element through two regular expressions and grows the literal by concatenation, a rope that
 * must be flattened before it is sent. Here a literal is one Array.join, a flat string the
 * driver encodes at once. The append sends its amounts this way: decimal text needs no
 * escaping, and Postgres's numeric_in is nearly as cheap as numeric's binary form, which would
 * cost more to build in JS than it saves (binary-array.ts holds the columns where binary pays).
 */

/**
 * An array literal of elements that never need quoting: integers, canonical decimal text, ISO
 * times, hex digests. `null` is SQL NULL. An element must not be empty, contain `{},"\` or
 * white space, or spell NULL: Postgres would refuse the literal (it fails loudly, not silently).
 */
export function plainArray(values: readonly (string | number | null)[]): string {
  const out = new Array<string | number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] ?? "NULL";
  return `{${out.join(",")}}`;
}
