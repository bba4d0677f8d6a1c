import { HashTextBuffer } from "../system/hash-text-buffer.js";

/**
 * One-dimensional Postgres arrays in the binary wire format, as Buffers: the pg driver sends a
 * Buffer parameter in binary, so Postgres decodes it with array_recv instead of parsing an
 * array literal. In the ingestion append, array_in was about a fifth of the backend's CPU
 * (its own scanning and de-quoting 11%, timestamptz_in 3.5%, measured with perf); in binary
 * an element is a length and its bytes, and a time or an integer is a fixed-size field.
 * Measured per element on Postgres 15: timestamptz 0.4-0.65 µs as text, 0.13-0.18 in binary;
 * text and jsonb 10-30% less. Amounts stay array literals (array-param.ts): numeric_in is
 * nearly as cheap as numeric's binary form, which costs more to build in JS than it saves.
 *
 * Layout (array_send): int32 dimensions (1, or 0 when empty), int32 has-nulls flag, int32
 * element type OID, then per dimension int32 length and int32 lower bound (1); then each
 * element as int32 byte length (-1 for NULL) and its binary form.
 *
 * Text arrays are assembled as one string of byte-valued characters and written by a single
 * Buffer.from(…, "latin1"): one native call per array rather than one per element. jsonb
 * arrays, whose elements are built from many short pieces, are written into bytes directly
 * (jsonbObjectArrayBinary).
 */

const oid = { text: 25, int4: 23, int8: 20, timestamptz: 1184, jsonb: 3802 } as const;

const int32 = (n: number): string => String.fromCharCode((n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
const nullElement = int32(-1);

function header(elementOid: number, length: number, hasNull: boolean): string {
  if (length === 0) return `${int32(0)}${int32(0)}${int32(elementOid)}`;
  return `${int32(1)}${int32(hasNull ? 1 : 0)}${int32(elementOid)}${int32(length)}${int32(1)}`;
}

// eslint-disable-next-line no-control-regex -- the test is for ASCII, which starts at U+0000
const ascii = /^[\u0000-\u007f]*$/;

/** The UTF-8 bytes of `s`, one character per byte (ASCII text is its own encoding). */
const utf8Bytes = (s: string): string => (ascii.test(s) ? s : Buffer.from(s, "utf8").toString("latin1"));

/** Length prefixes of the short elements nearly every array holds (ids, keys, hashes), made once. */
const shortLengths = Array.from({ length: 1024 }, (_, n) => int32(n));
const lengthPrefix = (n: number): string => (n < 1024 ? (shortLengths[n] as string) : int32(n));

/** An array whose elements are byte strings (see utf8Bytes), `null` for SQL NULL. */
function varlenArray(elementOid: number, elements: readonly (string | null)[]): Buffer {
  const head = header(elementOid, elements.length, elements.includes(null));
  const first = elements[0];
  // Hashes, tenant ids, model keys and currencies are usually all one length: then every
  // element has the same prefix and the body is one join, a flat string, not a long rope.
  if (typeof first === "string" && elements.every((e) => e !== null && e.length === first.length)) {
    const prefix = lengthPrefix(first.length);
    return Buffer.from(head + prefix + elements.join(prefix), "latin1");
  }
  let body = "";
  for (let i = 0; i < elements.length; i++) {
    const bytes = elements[i];
    body += bytes === null || bytes === undefined ? nullElement : lengthPrefix(bytes.length) + bytes;
  }
  return Buffer.from(head + body, "latin1");
}

/** text[]: each string as UTF-8; `null` is SQL NULL. */
export function textArrayBinary(values: readonly (string | null)[]): Buffer {
  // One scan of all the text, not one per element: ids, keys and hashes are ASCII nearly always.
  if (ascii.test(values.join(""))) return varlenArray(oid.text, values);
  const elements = new Array<string | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    elements[i] = v === null || v === undefined ? null : utf8Bytes(v);
  }
  return varlenArray(oid.text, elements);
}

/** Where jsonb arrays are assembled: one at a time, synchronously, and copied out when done. */
const jsonbBytes = new HashTextBuffer();

/**
 * jsonb[] of string-to-string objects (quantities, attributes): each a version byte (1) and its
 * JSON text, keys in their own order, byte for byte what JSON.stringify writes. Written straight
 * into bytes: built as strings (a text per object, a join to test for ASCII, a prefixed copy of
 * each, the concatenated body), this column was the largest allocator of ingestion, about 1 KB
 * an event of young-generation garbage (V8's sampling heap profiler).
 */
export function jsonbObjectArrayBinary(objects: readonly Readonly<Record<string, string>>[]): Buffer {
  const b = jsonbBytes.reset();
  arrayHeader(b, oid.jsonb, objects.length, false);
  for (let i = 0; i < objects.length; i++) {
    const object = objects[i] as Readonly<Record<string, string>>;
    const lengthAt = b.length;
    b.int32(0).char(1).char(0x7b);
    let first = true;
    for (const key in object) {
      if (!first) b.char(0x2c);
      first = false;
      b.jsonString(key).char(0x3a).jsonString(object[key] as string);
    }
    b.char(0x7d).int32At(lengthAt, b.length - lengthAt - 4);
  }
  return b.copy();
}

/** The header of header(), written into `b`. */
function arrayHeader(b: HashTextBuffer, elementOid: number, length: number, hasNull: boolean): void {
  if (length === 0) b.int32(0).int32(0).int32(elementOid);
  else b.int32(1).int32(hasNull ? 1 : 0).int32(elementOid).int32(length).int32(1);
}

/** An array of fixed-size elements written by `write` at byte offset `at`. */
function fixedArray(elementOid: number, length: number, size: number, write: (buf: Buffer, at: number, i: number) => void): Buffer {
  const head = Buffer.from(header(elementOid, length, false), "latin1");
  const buf = Buffer.allocUnsafe(head.length + length * (4 + size));
  head.copy(buf, 0);
  let at = head.length;
  for (let i = 0; i < length; i++) {
    buf.writeInt32BE(size, at);
    write(buf, at + 4, i);
    at += 4 + size;
  }
  return buf;
}

/** Writes a safe integer as int64, big-endian, in two exact 32-bit halves. */
function writeInt64(buf: Buffer, at: number, n: number): void {
  if (!Number.isSafeInteger(n)) throw new Error(`not a safe integer: ${n}`);
  const high = Math.floor(n / 2 ** 32);
  buf.writeInt32BE(high, at);
  buf.writeUInt32BE(n - high * 2 ** 32, at + 4);
}

/** int4[] of integers in int4's range. */
export function int4ArrayBinary(values: readonly number[]): Buffer {
  return fixedArray(oid.int4, values.length, 4, (buf, at, i) => buf.writeInt32BE(values[i] as number, at));
}

/** int8[] of safe integers (sequence numbers). */
export function int8ArrayBinary(values: readonly number[]): Buffer {
  return fixedArray(oid.int8, values.length, 8, (buf, at, i) => writeInt64(buf, at, values[i] as number));
}

/** Postgres counts time in microseconds from 2000-01-01 UTC. */
const postgresEpochMs = Date.UTC(2000, 0, 1);

/** timestamptz[]: each Date's milliseconds, exactly (Postgres keeps microseconds). */
export function timestamptzArrayBinary(values: readonly Date[]): Buffer {
  return fixedArray(oid.timestamptz, values.length, 8, (buf, at, i) => writeInt64(buf, at, ((values[i] as Date).getTime() - postgresEpochMs) * 1000));
}
