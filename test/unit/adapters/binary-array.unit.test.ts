import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { int4ArrayBinary, int8ArrayBinary, jsonbObjectArrayBinary, textArrayBinary, timestamptzArrayBinary } from "../../../src/adapters/postgres/binary-array.js";

const hex = (b: Buffer): string => b.toString("hex");
const int32 = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");
/** The header array_send writes for a one-dimensional array: dims, has-nulls, element OID, length, lower bound 1. */
const head = (oid: number, length: number, hasNull = false): string => int32(1) + int32(hasNull ? 1 : 0) + int32(oid) + int32(length) + int32(1);

/** Reads array_send's format back: an independent decoder, so the tests check bytes, not the encoder against itself. */
function decode(buf: Buffer): { oid: number; elements: (Buffer | null)[] } {
  const dims = buf.readInt32BE(0);
  const oid = buf.readInt32BE(8);
  if (dims === 0) return { oid, elements: [] };
  expect(dims).toBe(1);
  expect(buf.readInt32BE(16)).toBe(1);
  const length = buf.readInt32BE(12);
  const elements: (Buffer | null)[] = [];
  let at = 20;
  for (let i = 0; i < length; i++) {
    const size = buf.readInt32BE(at);
    at += 4;
    if (size === -1) elements.push(null);
    else {
      elements.push(buf.subarray(at, at + size));
      at += size;
    }
  }
  expect(at).toBe(buf.length);
  expect(buf.readInt32BE(4)).toBe(elements.includes(null) ? 1 : 0);
  return { oid, elements };
}

describe("Postgres binary arrays", () => {
  it("writes an empty array as zero dimensions with its element type", () => {
    expect(hex(textArrayBinary([]))).toBe(int32(0) + int32(0) + int32(25));
    expect(hex(int8ArrayBinary([]))).toBe(int32(0) + int32(0) + int32(20));
    expect(hex(timestamptzArrayBinary([]))).toBe(int32(0) + int32(0) + int32(1184));
  });

  it("writes text as length and UTF-8 bytes, and NULL as length -1 with the has-nulls flag set", () => {
    expect(hex(textArrayBinary(["ab", null]))).toBe(head(25, 2, true) + int32(2) + "6162" + int32(-1));
    expect(hex(textArrayBinary(["é", "a"]))).toBe(head(25, 2) + int32(2) + "c3a9" + int32(1) + "61");
    expect(hex(textArrayBinary(["ab", "cd"]))).toBe(head(25, 2) + int32(2) + "6162" + int32(2) + "6364");
  });

  it("writes jsonb as version byte 1 and the object's JSON text", () => {
    expect(hex(jsonbObjectArrayBinary([{ a: "1" }, {}]))).toBe(head(3802, 2) + int32(10) + "01" + Buffer.from('{"a":"1"}').toString("hex") + int32(3) + "01" + "7b7d");
  });

  it("writes integers big-endian at their width, and refuses what int8 cannot hold exactly", () => {
    expect(hex(int4ArrayBinary([1, -2]))).toBe(head(23, 2) + int32(4) + "00000001" + int32(4) + "fffffffe");
    expect(hex(int8ArrayBinary([2 ** 40 + 5, -1]))).toBe(head(20, 2) + int32(8) + "0000010000000005" + int32(8) + "ffffffffffffffff");
    expect(() => int8ArrayBinary([2 ** 53])).toThrow("not a safe integer");
    expect(() => int4ArrayBinary([2 ** 31])).toThrow("out of range");
  });

  it("writes a time as microseconds since 2000-01-01 UTC, and refuses an invalid Date", () => {
    expect(hex(timestamptzArrayBinary([new Date(Date.UTC(2000, 0, 1, 0, 0, 0, 1)), new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999))]))).toBe(
      head(1184, 2) + int32(8) + "00000000000003e8" + int32(8) + "fffffffffffffc18",
    );
    expect(() => timestamptzArrayBinary([new Date(Number.NaN)])).toThrow("not a safe integer");
  });

  it("any text column decodes back to its strings", () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string({ unit: "binary" }), { nil: null })), (values) => {
        const { oid, elements } = decode(textArrayBinary(values));
        expect(oid).toBe(25);
        expect(elements.map((e) => (e === null ? null : e.toString("utf8")))).toEqual(values);
      }),
    );
  });

  it("any column of same-length strings, the one-join path, decodes back to its strings", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70 }), fc.array(fc.nat()), (length, seeds) => {
        const values = seeds.map((s) => String(s).padStart(length, "x").slice(-length));
        expect(decode(textArrayBinary(values)).elements.map((e) => e?.toString("utf8"))).toEqual(values);
      }),
    );
  });

  it("a jsonb array keeps its bytes when the next one is written", () => {
    const first = jsonbObjectArrayBinary([{ input_tokens: "100" }]);
    const copy = Buffer.from(first);
    jsonbObjectArrayBinary([{ output_tokens: "999999", cached_input_tokens: "5" }, { é: "ü" }]);
    expect(first.equals(copy)).toBe(true);
  });

  it("any string-to-string objects decode back to the same objects, their keys in order", () => {
    const object = fc.dictionary(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }));
    fc.assert(
      fc.property(fc.array(object), (objects) => {
        const { oid, elements } = decode(jsonbObjectArrayBinary(objects));
        expect(oid).toBe(3802);
        expect(elements).toHaveLength(objects.length);
        for (const [i, e] of elements.entries()) {
          expect(e?.[0]).toBe(1);
          expect(e?.subarray(1).toString("utf8")).toBe(JSON.stringify(objects[i]));
        }
      }),
    );
  });

  it("any safe integers and times decode back exactly", () => {
    fc.assert(
      fc.property(fc.array(fc.maxSafeInteger()), fc.array(fc.date({ min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(2200, 0, 1)), noInvalidDate: true })), (ints, dates) => {
        expect(decode(int8ArrayBinary(ints)).elements.map((e) => Number(e?.readBigInt64BE(0)))).toEqual(ints);
        const micros = decode(timestamptzArrayBinary(dates)).elements.map((e) => Number(e?.readBigInt64BE(0)));
        expect(micros.map((us) => us / 1000 + Date.UTC(2000, 0, 1))).toEqual(dates.map((d) => d.getTime()));
      }),
    );
  });
});
