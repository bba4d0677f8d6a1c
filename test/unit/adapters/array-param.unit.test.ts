import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { jsonObjectArray, plainArray, quotedArray } from "../../../src/adapters/postgres/array-param.js";

/** The literal every element escaped one by one: what the fast paths must reproduce exactly. */
const generalQuoted = (values: readonly (string | null)[]) =>
  `{${values.map((v) => (v === null ? "NULL" : `"${v.replace(/["\\]/g, "\\$&")}"`)).join(",")}}`;

describe("Postgres array literals", () => {
  it("writes plain elements as they are, and null as NULL", () => {
    expect(plainArray(["0.0000025", "1200", null, "2026-12-03T10:00:00.000Z"])).toBe("{0.0000025,1200,NULL,2026-12-03T10:00:00.000Z}");
    expect(plainArray([1, 2, 30])).toBe("{1,2,30}");
    expect(plainArray([])).toBe("{}");
  });

  it("quotes every string and escapes quotes and backslashes, so text that spells NULL stays text", () => {
    expect(quotedArray(["a", 'say "hi"', "back\\slash", "{a,b}", "", "NULL", null])).toBe('{"a","say \\"hi\\"","back\\\\slash","{a,b}","","NULL",NULL}');
  });

  it("writes a column with nothing to escape in one piece, the same text as element by element", () => {
    expect(quotedArray([])).toBe("{}");
    expect(quotedArray([""])).toBe('{""}');
    expect(quotedArray(["evt-1", "cust 2", "{x}"])).toBe('{"evt-1","cust 2","{x}"}');
    expect(quotedArray(["a", null])).toBe('{"a",NULL}');
  });

  it("any column of strings and nulls gives the element-by-element literal", () => {
    fc.assert(fc.property(fc.array(fc.option(fc.string({ unit: "binary" }), { nil: null })), (values) => {
      expect(quotedArray(values)).toBe(generalQuoted(values));
    }));
  });

  it("writes quantities and attributes as the jsonb[] literal of their JSON text", () => {
    const objects: Record<string, string>[] = [{ input_tokens: "1200", output_tokens: "0.5" }, {}, { region: "eu-west", note: 'say "hi" \\ \n' }, { emoji: "\u{1F600}", lone: "\ud800" }];
    expect(jsonObjectArray(objects)).toBe(generalQuoted(objects.map((o) => JSON.stringify(o))));
    expect(jsonObjectArray([])).toBe("{}");
    expect(jsonObjectArray([{ input_tokens: "3" }])).toBe('{"{\\"input_tokens\\":\\"3\\"}"}');
  });

  it("any string-to-string objects give quotedArray over JSON.stringify, byte for byte", () => {
    const object = fc.dictionary(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }));
    fc.assert(fc.property(fc.array(object), (objects) => {
      expect(jsonObjectArray(objects)).toBe(generalQuoted(objects.map((o) => JSON.stringify(o))));
    }));
  });
});
