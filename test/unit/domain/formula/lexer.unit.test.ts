import { describe, expect, it } from "@jest/globals";
import { tokenize, type Token } from "../../../../src/domain/formula/lexer.js";

function tokens(source: string): Token[] {
  const result = tokenize(source);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

/** A compact view of tokens: kind, text and offset. */
const view = (source: string) => tokens(source).map((t) => [t.kind, t.kind === "end" ? "" : t.kind === "number" ? t.text : t.value, t.offset]);

describe("reading tokens", () => {
  it("reads names, operators and numbers with their offsets, ending with an end token", () => {
    expect(view("input_tokens*rate_in + 1000")).toEqual([
      ["name", "input_tokens", 0],
      ["op", "*", 12],
      ["name", "rate_in", 13],
      ["op", "+", 21],
      ["number", "1000", 23],
      ["end", "", 27],
    ]);
  });

  it("reads two-character operators before one-character ones", () => {
    expect(view("a<=b>=c==d!=e&&f||!g<h>i").filter(([kind]) => kind === "op").map(([, text]) => text)).toEqual(["<=", ">=", "==", "!=", "&&", "||", "!", "<", ">"]);
  });

  it("reads attr.<name> and period.<meter> as one name", () => {
    expect(view("attr.Region == period.images")).toEqual([
      ["name", "attr.Region", 0],
      ["op", "==", 12],
      ["name", "period.images", 15],
      ["end", "", 28],
    ]);
  });

  it("reads numbers as exact decimals", () => {
    const [token] = tokens("0.0000025");
    expect(token?.kind === "number" && token.value.toString()).toBe("0.0000025");
  });

  it("reads strings in either quote, without escapes, so each may contain the other quote", () => {
    expect(view(`"it's" == 'say "hi"' == ""`)).toEqual([
      ["string", "it's", 0],
      ["op", "==", 7],
      ["string", 'say "hi"', 10],
      ["op", "==", 21],
      ["string", "", 24],
      ["end", "", 26],
    ]);
  });

  it("skips spaces, tabs and line breaks, each counting as one column", () => {
    expect(view(" \t\r\n1")).toEqual([
      ["number", "1", 4],
      ["end", "", 5],
    ]);
  });
});

describe("refusing what it cannot read, at the exact column", () => {
  it.each([
    ["1e5", 1, 'malformed number "1e"'],
    ["1.", 1, 'malformed number "1."'],
    ["x + 1.2.3", 5, 'malformed number "1.2."'],
    ["1_000", 1, 'malformed number "1_"'],
    ["2 * .5", 5, 'unexpected character "."'],
    ["0.0000000000000000001", 1, "number has more than 18 fractional digits"],
    ["attr.", 6, 'expected a name after "attr." (like attr.region)'],
    ["attr.1x", 6, 'expected a name after "attr."'],
    ["attr.a.b", 7, 'names have at most one "."'],
    ["x == 'eu", 6, "string opened here is never closed with '"],
    ["x = 1", 3, 'unexpected character "=" (use "==" to compare)'],
    ["a & b", 3, '(use "&&")'],
    ["a | b", 3, '(use "||")'],
    ["2 % 3", 3, 'unexpected character "%"'],
    ["1 + 😀", 5, 'unexpected character "😀"'],
    ["1\u00a0+ 1", 2, "unexpected character"],
  ])("%p: column %i, %s", (source, column, message) => {
    const result = tokenize(source);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("SYNTAX");
    expect(result.error.pos).toEqual({ offset: column - 1, column });
    expect(result.error.message).toContain(`column ${column}: `);
    expect(result.error.message).toContain(message);
    expect(result.error.path).toBe("expression");
  });
});
