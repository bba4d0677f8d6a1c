/**
 * JSON text written by hand, byte for byte what JSON.stringify writes, for the hot paths that
 * write it for every usage event (log hashes, the append's jsonb columns, through HashTextBuffer): most strings there
 * (keys, meter names, decimal text) need no escaping, and quoting them directly skips
 * JSON.stringify's general machinery. Anything JSON would escape takes JSON.stringify itself.
 */

/** Text that JSON.stringify writes unchanged between its quotes (nothing it would escape). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const jsonVerbatim = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** A string as JSON text: quoted as it is when JSON would escape nothing in it. */
export const jsonString = (s: string): string => (jsonVerbatim.test(s) ? `"${s}"` : JSON.stringify(s));
