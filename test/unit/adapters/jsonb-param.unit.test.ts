import { describe, expect, it } from "@jest/globals";
import { jsonbArray, jsonbEncodingFor } from "../../../src/adapters/postgres/jsonb-param.js";

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `e-${i}`, customer: i % 3 === 0 ? "clïent “ü” ✓" : `c${i}`, q: { input_tokens: String(i * 7) }, none: undefined }));
const toJson = (x: ReturnType<typeof items>[number]) => ({ i: x.id, c: x.customer, q: x.q, n: x.none });

describe("jsonb array parameters", () => {
  it("the text form is the JSON of the mapped items", () => {
    const xs = items(3);
    expect(jsonbArray("text", xs, toJson)).toBe(JSON.stringify(xs.map(toJson)));
  });

  it.each([0, 1, 99, 100, 101, 250, 1000])("the binary form of %i items is jsonb's version byte and the same JSON, across chunk boundaries", (n) => {
    const xs = items(n);
    const bytes = jsonbArray("binary", xs, toJson);
    expect(Buffer.isBuffer(bytes)).toBe(true);
    const buffer = bytes as Buffer;
    expect(buffer[0]).toBe(1);
    expect(buffer.subarray(1).toString("utf8")).toBe(JSON.stringify(xs.map(toJson)));
  });

  it("maps each item once, in order", () => {
    const seen: number[] = [];
    jsonbArray("binary", Array.from({ length: 230 }, (_, i) => i), (i) => {
      seen.push(i);
      return i;
    });
    expect(seen).toEqual(Array.from({ length: 230 }, (_, i) => i));
  });

  it("server Postgres takes the binary form and embedded Postgres the text", () => {
    expect(jsonbEncodingFor("server")).toBe("binary");
    expect(jsonbEncodingFor("embedded")).toBe("text");
  });
});
