/**
 * Postgres array literals ("{a,b}") built here rather than by the pg driver, which runs every
 * element through two regular expressions and grows the literal by concatenation, a rope that
 * must be flattened before it is sent. An append carries ~20 arrays of ~1,300 elements; here
 * only strings that can hold a quote or backslash are escaped, and each literal is one
 * Array.join, a flat string the driver encodes at once.
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

const needsEscape = /["\\]/;
const escaped = /["\\]/g;

/** An array literal of any strings, each quoted (`"` and `\` escaped); `null` is SQL NULL. */
export function quotedArray(values: readonly (string | null)[]): string {
  const out = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null || v === undefined ? "NULL" : needsEscape.test(v) ? `"${v.replace(escaped, "\\$&")}"` : `"${v}"`;
  }
  return `{${out.join(",")}}`;
}
