import { describe, expect, it } from "@jest/globals";
import { compileFormula, type FormulaSource } from "../../../../src/domain/formula/index.js";
import { Decimal } from "../../../../src/domain/money/decimal.js";

const d = (text: string): Decimal => {
  const parsed = Decimal.parse(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const meters = new Set(["input_tokens", "output_tokens", "cached_input_tokens", "images"]);
const tokens = "input_tokens * rate_in + output_tokens * rate_out + cached_input_tokens * rate_cached";

function price(source: FormulaSource, quantities: Record<string, string>, extra: { cost?: string; attributes?: Record<string, string>; period?: Record<string, string> } = {}): string {
  const compiled = compileFormula(source, { meters, allowCost: true });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.error));
  const result = compiled.value.evaluate({
    quantities: new Map(Object.entries(quantities).map(([k, v]) => [k, d(v)])),
    attributes: new Map(Object.entries(extra.attributes ?? {})),
    ...(extra.cost !== undefined ? { cost: d(extra.cost) } : {}),
    period: new Map(Object.entries(extra.period ?? {}).map(([k, v]) => [k, d(v)])),
  });
  if (!result.ok) throw new Error(result.error.message);
  return result.value.toString();
}

function errorsOf(source: FormulaSource, allowCost = true) {
  const compiled = compileFormula(source, { meters, allowCost });
  return compiled.ok ? [] : compiled.error;
}

describe("pricing with public list prices, exact to the last digit", () => {
  it("GPT-4o: $2.50 in, $10.00 out, $1.25 cached per 1M tokens", () => {
    const gpt4o = { expression: tokens, rates: { rate_in: "0.0000025", rate_out: "0.00001", rate_cached: "0.00000125" } };
    expect(price(gpt4o, { input_tokens: "1000", output_tokens: "500", cached_input_tokens: "200" })).toBe("0.00775");
    expect(price(gpt4o, { input_tokens: "1" })).toBe("0.0000025");
    expect(price(gpt4o, {})).toBe("0");
  });

  it("Claude Sonnet 4: $3 in, $15 out, $0.30 cache read per 1M tokens", () => {
    const sonnet = { expression: tokens, rates: { rate_in: "0.000003", rate_out: "0.000015", rate_cached: "0.0000003" } };
    expect(price(sonnet, { input_tokens: "123457", output_tokens: "9876", cached_input_tokens: "50000" })).toBe("0.533511");
  });

  it("cost plus 25%", () => {
    expect(price({ expression: "cost * 1.25", rates: {} }, {}, { cost: "0.00775" })).toBe("0.0096875");
  });
});

describe("functions", () => {
  it("graduated prices an event that crosses a tier boundary partly at each rate", () => {
    const tiers = { expression: "graduated(images, period.images, 0, 0.05, 100, 0.04, 1000, 0.03)", rates: {} };
    // 90 already used this period; 20 more: 10 at 0.05 and 10 at 0.04.
    expect(price(tiers, { images: "20" }, { period: { images: "90" } })).toBe("0.9");
    expect(price(tiers, { images: "1" }, { period: { images: "5000" } })).toBe("0.03");
  });

  it("volume charges the difference so a period sums to its total at the reached tier's rate", () => {
    const tiers = { expression: "volume(images, period.images, 0, 0.05, 100, 0.04)", rates: {} };
    const first = d(price(tiers, { images: "60" }, { period: { images: "0" } }));
    const second = d(price(tiers, { images: "60" }, { period: { images: "60" } }));
    expect(first.toString()).toBe("3");
    expect(first.plus(second).toString()).toBe("4.8"); // 120 × 0.04
  });

  it.each([
    ["min(input_tokens, 10) * 2", { input_tokens: "30" }, "20"],
    ["max(input_tokens * 0.001, 0.5)", { input_tokens: "30" }, "0.5"],
    ["ceil(input_tokens, 1000) * 0.001", { input_tokens: "1001" }, "2"],
    ["floor(input_tokens, 1000) * 0.001", { input_tokens: "1999" }, "1"],
    ["round(input_tokens / 3, 2)", { input_tokens: "10" }, "3.33"],
    ["if(input_tokens > 100, 1, 2)", { input_tokens: "101" }, "1"],
    ["if(!(input_tokens > 100) && true, 1, 2)", { input_tokens: "101" }, "2"],
    ["1 + 2 * 3 - 4 / 2", {}, "5"],
    ["-(1 + 2) * 3", {}, "-9"],
    ["2 - 3 - 4", {}, "-5"],
    ["if(1 < 2 == 2 < 3 || false, 7, 8)", {}, "7"],
  ])("%s = %s", (expression, quantities, expected) => {
    expect(price({ expression, rates: {} }, quantities)).toBe(expected);
  });

  it("reads attributes as strings, empty when absent", () => {
    const tiered = { expression: 'if(attr.tier == "batch", input_tokens * 0.5, input_tokens)', rates: {} };
    expect(price(tiered, { input_tokens: "10" }, { attributes: { tier: "batch" } })).toBe("5");
    expect(price(tiered, { input_tokens: "10" })).toBe("10");
  });

  it("reports division by zero and bad steps at evaluation, never throwing", () => {
    const compiled = compileFormula({ expression: "input_tokens / output_tokens + ceil(1, images)", rates: {} }, { meters, allowCost: false });
    if (!compiled.ok) throw new Error("should compile");
    const result = compiled.value.evaluate({ quantities: new Map([["input_tokens", d("1")]]), attributes: new Map() });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe("DIVISION_BY_ZERO");
  });
});

describe("errors at publish", () => {
  it.each([
    ["input_tokens *", "SYNTAX", /column 15: expected a number/],
    ["(input_tokens + 1", "SYNTAX", /expected "\)" to close "\(" opened at column 1/],
    ["input_tokens = 1", "SYNTAX", /use "=="/],
    ["input_tokns * 2", "UNKNOWN_NAME", /did you mean "input_tokens"/],
    ["period.nope", "UNKNOWN_NAME", /not a meter/],
    ["median(1, 2)", "UNKNOWN_FUNCTION", /unknown function "median"/],
    ["min(1)", "ARITY", /min takes 2 to 64 arguments/],
    ["input_tokens > 1", "TYPE", /must produce an amount/],
    ["if(1, 2, 3)", "TYPE", /condition/],
    ['attr.tier + 1', "TYPE", /must be a decimal/],
    ["1 / 0", "DIVISION_BY_ZERO", /division by zero/],
    ["graduated(images, 0, 10, 1, 5, 2)", "BAD_TIERS", /start at 0/],
    ["round(images, 40)", "INVALID_ARGUMENT", /0 to 18/],
  ])("%s is refused with %s", (expression, code, message) => {
    const errors = errorsOf({ expression, rates: {} });
    expect(errors[0]?.code).toBe(code);
    expect(errors[0]?.message).toMatch(message);
    expect(errors[0]?.path).toBe("expression");
  });

  it("refuses cost in a vendor cost formula", () => {
    expect(errorsOf({ expression: "cost * 2", rates: {} }, false)[0]?.code).toBe("COST_NOT_ALLOWED");
  });

  it("names a bad rate by its path", () => {
    const errors = errorsOf({ expression: "input_tokens * rate_in", rates: { rate_in: "1e-6" } });
    expect(errors[0]?.path).toBe("rates.rate_in");
    expect(errorsOf({ expression: "input_tokens", rates: { input_tokens: "1" } })[0]?.path).toBe("rates.input_tokens");
  });

  it("bounds length, depth and size", () => {
    expect(errorsOf({ expression: "1+".repeat(3000) + "1", rates: {} })[0]?.code).toBe("TOO_LONG");
    expect(errorsOf({ expression: "(".repeat(100) + "1" + ")".repeat(100), rates: {} })[0]?.code).toBe("TOO_DEEP");
    expect(errorsOf({ expression: Array.from({ length: 1100 }, () => "1").join("+").slice(0, 4000), rates: {} })[0]?.code).toBe("TOO_MANY_NODES");
  });
});
