import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { jsonString, jsonStringObject } from "../../../src/adapters/system/json-text.js";

describe("JSON text written by hand", () => {
  it("quotes plain strings as they are and escapes what JSON escapes", () => {
    expect(jsonString("input_tokens")).toBe('"input_tokens"');
    expect(jsonString('say "hi" \\ \n \u0001 \ud800')).toBe(JSON.stringify('say "hi" \\ \n \u0001 \ud800'));
    expect(jsonStringObject({})).toBe("{}");
    expect(jsonStringObject({ b: "1", a: "x\"y", 2: "two" })).toBe('{"2":"two","b":"1","a":"x\\"y"}');
  });

  it("any string, and any string-to-string object, gives JSON.stringify's text byte for byte", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => expect(jsonString(s)).toBe(JSON.stringify(s))));
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: "binary" }), fc.string({ unit: "binary" })), (o) => expect(jsonStringObject(o)).toBe(JSON.stringify(o))),
    );
  });
});
