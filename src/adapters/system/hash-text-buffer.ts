import { jsonString } from "./json-text.js";
import { sha256Hex } from "./sha256.js";

/** Longest string copied by a loop of char codes; longer ones, or any not ASCII, by Buffer.write. */
const asciiLoopMax = 64;

/** Capacity the buffer starts with: a usage record's text is about 600 bytes. */
const initialBytes = 4096;

/**
 * UTF-8 text assembled in one reused buffer and hashed from there: the bytes a string made of
 * the same pieces would encode to, without making the string.
 *
 * Usage-log hashes are taken twice for every event ingested, over texts of some 40 pieces. Built
 * as template strings, each text was a rope of cons-strings flattened again for hashing, a few
 * KB of garbage an event and about a third of all the bytes ingestion allocated (V8's sampling
 * heap profiler, 2026-12-06): garbage that sets the pace of young-generation collections, which
 * took a fifth of the main thread. Short ASCII pieces (ids, keys, decimal text) are copied by a
 * loop of char codes, cheaper than a call into Buffer.write for a dozen bytes; anything longer
 * or not ASCII goes through Buffer.write, which encodes exactly as hashing the string would
 * (a lone surrogate as U+FFFD).
 *
 * The append's jsonb arrays are written the same way, with int32() for their binary lengths,
 * and taken out by copy().
 *
 * Not reentrant: one text at a time, from reset() to sha256Hex() or copy().
 */
export class HashTextBuffer {
  private bytes = Buffer.allocUnsafe(initialBytes);
  private at = 0;

  reset(): this {
    this.at = 0;
    return this;
  }

  /** Appends `s` as UTF-8. */
  raw(s: string): this {
    const n = s.length;
    // Worst case three bytes per UTF-16 unit (a surrogate pair is two units for four bytes).
    this.reserve(n * 3);
    const b = this.bytes;
    let at = this.at;
    if (n <= asciiLoopMax) {
      let i = 0;
      for (; i < n; i++) {
        const code = s.charCodeAt(i);
        if (code > 0x7f) break;
        b[at + i] = code;
      }
      if (i === n) {
        this.at = at + n;
        return this;
      }
    }
    at += b.write(s, at, "utf8");
    this.at = at;
    return this;
  }

  /** Appends one ASCII character by its code. */
  char(code: number): this {
    this.reserve(1);
    this.bytes[this.at++] = code;
    return this;
  }

  /** Appends `s` as JSON writes a string: quoted as it is when JSON would escape nothing in it. */
  jsonString(s: string): this {
    const n = s.length;
    if (n <= asciiLoopMax) {
      // One pass that copies and checks: printable ASCII other than the quote and the
      // backslash is written by JSON as it is. Anything else is written again, below.
      this.reserve(n + 2);
      const b = this.bytes;
      const at = this.at;
      b[at] = 0x22;
      let i = 0;
      for (; i < n; i++) {
        const code = s.charCodeAt(i);
        if (code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c) break;
        b[at + 1 + i] = code;
      }
      if (i === n) {
        b[at + 1 + n] = 0x22;
        this.at = at + n + 2;
        return this;
      }
    }
    return this.raw(jsonString(s));
  }

  /** Appends `s` as a JSON string, or null when it is undefined. */
  jsonStringOrNull(s: string | undefined): this {
    return s === undefined ? this.raw("null") : this.jsonString(s);
  }

  /** Appends a number as JSON writes it: NaN and the infinities as null. */
  jsonNumber(n: number): this {
    if (!Number.isFinite(n)) return this.raw("null");
    if (!Number.isSafeInteger(n) || n < 0) return this.raw(String(n));
    // Digits written backwards into place: no string for the integers (times, versions,
    // sequence numbers) every record holds several of.
    let digits = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++;
    this.reserve(digits);
    const b = this.bytes;
    let rest = n;
    for (let i = this.at + digits - 1; i >= this.at; i--) {
      const next = Math.floor(rest / 10);
      b[i] = 0x30 + (rest - next * 10);
      rest = next;
    }
    this.at += digits;
    return this;
  }

  /** Appends `n` as a big-endian 32-bit integer (Postgres's binary lengths and headers). */
  int32(n: number): this {
    this.reserve(4);
    this.bytes.writeInt32BE(n, this.at);
    this.at += 4;
    return this;
  }

  /** Bytes appended since reset(). */
  get length(): number {
    return this.at;
  }

  /** Overwrites the 32-bit integer appended at byte `at`: a length known only once its bytes are. */
  int32At(at: number, n: number): this {
    this.bytes.writeInt32BE(n, at);
    return this;
  }

  /** A copy of the bytes appended since reset(), for a caller that keeps them past the next reset. */
  copy(): Buffer {
    const out = Buffer.allocUnsafe(this.at);
    this.bytes.copy(out, 0, 0, this.at);
    return out;
  }

  /** SHA-256 of the bytes appended since reset(), as lowercase hex. */
  sha256Hex(): string {
    return sha256Hex(this.bytes.subarray(0, this.at));
  }

  /** Makes room for `n` more bytes, keeping what is written. */
  private reserve(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.at + n));
    this.bytes.copy(grown, 0, 0, this.at);
    this.bytes = grown;
  }
}
