import { describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { HashTextBuffer } from "../../../src/adapters/system/hash-text-buffer.js";

const builder = new HashTextBuffer();
/** What the builder holds, by its hash: equal hashes, equal bytes. */
const bytesOf = (write: (b: HashTextBuffer) => void): string => {
  write(builder.reset());
  return builder.sha256Hex();
};
const utf8 = (s: string): string => createHash("sha256").update(Buffer.from(s, "utf8")).digest("hex");

describe("UTF-8 text written into a reused buffer", () => {
  it("quotes plain strings as they are and escapes what JSON escapes", () => {
    expect(bytesOf((b) => b.jsonString("input_tokens"))).toBe(utf8('"input_tokens"'));
    const awkward = 'say "hi" \\ \n \u0001 \ud800 é';
    expect(bytesOf((b) => b.jsonString(awkward))).toBe(utf8(JSON.stringify(awkward)));
    expect(bytesOf((b) => b.jsonStringOrNull(undefined).char(0x2c).jsonStringOrNull("a"))).toBe(utf8('null,"a"'));
  });

  it("writes numbers as JSON does, integers digit by digit", () => {
    for (const n of [0, -0, 7, 10, 1_733_000_000_000, Number.MAX_SAFE_INTEGER, -42, 2 ** 53, 1e21, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(bytesOf((b) => b.jsonNumber(n))).toBe(utf8(JSON.stringify(n)));
    }
  });

  it("any string, raw or as JSON, gives the bytes of its text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), fc.string({ unit: "binary" }), fc.nat(), (s, t, n) => {
        const text = `${s}\n${JSON.stringify(t)},${n}`;
        expect(bytesOf((b) => b.raw(s).char(0x0a).jsonString(t).char(0x2c).jsonNumber(n))).toBe(utf8(text));
      }),
    );
  });

  it("a lone surrogate written raw becomes U+FFFD, as encoding the string would", () => {
    expect(bytesOf((b) => b.raw("a\ud800b"))).toBe(utf8("a\ud800b"));
    expect(bytesOf((b) => b.raw("a\ud800b"))).toBe(createHash("sha256").update(Buffer.from("61efbfbd62", "hex")).digest("hex"));
  });

  it("grows past its first size keeping what was written", () => {
    const long = "ü".repeat(5000);
    expect(bytesOf((b) => b.raw("start").raw(long).jsonString(long))).toBe(utf8(`start${long}${JSON.stringify(long)}`));
  });

  it("writes big-endian 32-bit integers, patches one in place, and copies out what it holds", () => {
    const b = builder.reset().int32(-2).char(0x41);
    expect(b.length).toBe(5);
    const lengthAt = b.length;
    b.int32(0).raw("é".repeat(3000)).int32At(lengthAt, b.length - lengthAt - 4);
    const out = b.copy();
    expect(out.readInt32BE(0)).toBe(-2);
    expect(out[4]).toBe(0x41);
    expect(out.readInt32BE(5)).toBe(6000);
    expect(out.subarray(9).toString("utf8")).toBe("é".repeat(3000));
    builder.reset().raw("overwritten");
    expect(out.readInt32BE(5)).toBe(6000);
    expect(out).toHaveLength(9 + 6000);
  });
});
