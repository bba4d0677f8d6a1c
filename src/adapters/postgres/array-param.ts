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

/**
 * An array literal of any strings, each quoted (`"` and `\` escaped); `null` is SQL NULL.
 * Most columns (ids, keys, currencies) hold neither nulls nor characters to escape: they are
 * checked first and then written by one join, with no per-element string at all.
 */
export function quotedArray(values: readonly (string | null)[]): string {
  if (values.length === 0) return "{}";
  let plain = true;
  for (let i = 0; i < values.length && plain; i++) {
    const v = values[i];
    plain = v !== null && v !== undefined && !needsEscape.test(v);
  }
  if (plain) return `{"${values.join('","')}"}`;
  const out = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v === null || v === undefined ? "NULL" : needsEscape.test(v) ? `"${v.replace(escaped, "\\$&")}"` : `"${v}"`;
  }
  return `{${out.join(",")}}`;
}

/** Text that JSON.stringify writes unchanged between its quotes (nothing it would escape). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const jsonVerbatim = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/**
 * A jsonb[] literal of string-to-string objects, byte for byte what quotedArray over
 * JSON.stringify of each object gives. Quantities (meter keys, decimal text) and most attributes
 * need no escaping in either layer, so their element is written directly: `"{\"k\":\"v\"}"`.
 * An object holding anything JSON or the array literal would escape takes the general path.
 */
export function jsonObjectArray(objects: readonly Readonly<Record<string, string>>[]): string {
  const out = new Array<string>(objects.length);
  for (let i = 0; i < objects.length; i++) out[i] = jsonObjectElement(objects[i] as Readonly<Record<string, string>>);
  return `{${out.join(",")}}`;
}

function jsonObjectElement(object: Readonly<Record<string, string>>): string {
  let element = '"{';
  let first = true;
  for (const key in object) {
    const value = object[key] as string;
    if (!jsonVerbatim.test(key) || !jsonVerbatim.test(value)) return `"${JSON.stringify(object).replace(escaped, "\\$&")}"`;
    element += first ? `\\"${key}\\":\\"${value}\\"` : `,\\"${key}\\":\\"${value}\\"`;
    first = false;
  }
  return `${element}}"`;
}
