import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { jsonString } from "../../../src/adapters/system/json-text.js";

describe("JSON text written by hand", () => {
  it("quotes plain strings as they are and escapes what JSON escapes", () => {
    expect(jsonString("input_tokens")).toBe('"input_tokens"');
    expect(jsonString('say "hi" \\ \n \u0001 \ud800')).toBe(JSON.stringify('say "hi" \\ \n \u0001 \ud800'));
  });

  it("any string gives JSON.stringify's text byte for byte", () => {
    fc.assert(fc.property(fc.string({ unit: "binary" }), (s) => expect(jsonString(s)).toBe(JSON.stringify(s))));
  });
});
