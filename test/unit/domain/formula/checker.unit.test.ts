import { describe, expect, it } from "@jest/globals";
import { limits } from "../../../../src/domain/limits.js";
import { compiled, costEnv, errorsOf, expression, gpt4o } from "./fixtures.js";

/** The single error a formula is refused with. */
function onlyError(source: ReturnType<typeof expression>, env = undefined as Parameters<typeof errorsOf>[1]) {
  const errors = errorsOf(source, env);
  expect(errors).toHaveLength(1);
  return errors[0]!;
}

describe("resolving names", () => {
  it("knows meters, its own rates, cost, attr.<name> and period.<meter>, and reports what it reads", () => {
    const formula = compiled(
      expression("input_tokens * rate_in + if(attr.tier == 'batch', cost, 0) + graduated(images, period.images, 0, 0.04) + rate_in * 0", { rate_in: "0.0000025", unused: "1" }),
    );
    expect(formula.meters).toEqual(new Set(["input_tokens", "images"]));
    expect(formula.periodMeters).toEqual(new Set(["images"]));
    expect(formula.attributes).toEqual(new Set(["tier"]));
    expect(formula.usesCost).toBe(true);
  });

  it("refuses an unknown meter, naming it and its column, and suggesting a close name", () => {
    expect(onlyError(expression("input_tokens * 2 + output_tokns"))).toEqual({
      code: "UNKNOWN_NAME",
      message: 'column 20: unknown name "output_tokns": not a meter, a rate of this formula or cost (did you mean "output_tokens"?)',
      pos: { offset: 19, column: 20 },
      path: "expression",
    });
  });

  it("refuses an undeclared rate, suggesting a declared one", () => {
    expect(onlyError(expression("input_tokens * rate_inn", { rate_in: "0.000001" })).message).toBe(
      'column 16: unknown name "rate_inn": not a meter, a rate of this formula or cost (did you mean "rate_in"?)',
    );
  });

  it("suggests nothing when no name is close", () => {
    expect(onlyError(expression("zzz")).message).toBe('column 1: unknown name "zzz": not a meter, a rate of this formula or cost');
  });

  it("refuses cost in a model's own cost formula, and leaves it out of suggestions there", () => {
    expect(onlyError(expression("input_tokens * 0.000001 + cost"), costEnv)).toMatchObject({
      code: "COST_NOT_ALLOWED",
      message: 'column 27: "cost" is not available here: a vendor cost formula defines cost, it cannot use it',
    });
    expect(onlyError(expression("cots"), costEnv).message).toBe('column 1: unknown name "cots": not a meter, a rate of this formula');
  });

  it.each([
    ["period.imagez", 'period.imagez: "imagez" is not a meter (did you mean "images"?)'],
    ["atr.region == 'eu'", 'unknown name "atr.region": only attr.<name> and period.<meter> have a "." (did you mean "attr"?)'],
    ["attr == 'eu'", '"attr" needs a name after it, like attr.region'],
    ["period", '"period" needs a name after it, like period.input_tokens'],
    ["max", "max is a function: call it as max(a, b, …)"],
    ["constructor", 'unknown name "constructor"'],
    ["__proto__", 'unknown name "__proto__"'],
  ])("refuses %p: %s", (source, message) => {
    expect(onlyError(expression(source)).message).toContain(message);
  });

  it("refuses an unknown function, suggesting a close one and listing the rest", () => {
    expect(onlyError(expression("maxx(cost, 1)")).message).toBe(
      'column 1: unknown function "maxx" (did you mean "max"?); available: min, max, ceil, floor, round, if, graduated, volume',
    );
    expect(onlyError(expression("constructor(1)")).code).toBe("UNKNOWN_FUNCTION");
    expect(onlyError(expression("toString(1)")).code).toBe("UNKNOWN_FUNCTION");
  });

  it("reports both sides of an operator when both are wrong", () => {
    expect(errorsOf(expression('if("a" < "b", 1, 2)')).map((e) => e.message)).toEqual([
      'column 4: the left side of "<" must be a decimal, found a string',
      'column 10: the right side of "<" must be a decimal, found a string',
    ]);
  });

  it("reports a mistake once, not again in every check that meets it", () => {
    expect(errorsOf(expression("if(nope > 1 == foo(2), attr.x, bogus) + max(1)")).map((e) => e.code)).toEqual(["UNKNOWN_NAME", "UNKNOWN_FUNCTION", "UNKNOWN_NAME", "ARITY"]);
    expect(errorsOf(expression("1 / nope + ceil(1, -nope) + round(1, foo()) + graduated(1, 0, nope, 1)")).map((e) => e.code)).toEqual([
      "UNKNOWN_NAME",
      "UNKNOWN_NAME",
      "UNKNOWN_FUNCTION",
      "UNKNOWN_NAME",
    ]);
  });

  it("reports every name and type problem at once", () => {
    const errors = errorsOf(expression("foo(1) + input_tokns + attr.x"));
    expect(errors.map((e) => [e.code, e.pos?.column])).toEqual([
      ["UNKNOWN_FUNCTION", 1],
      ["UNKNOWN_NAME", 10],
      ["TYPE", 24],
    ]);
  });
});

describe("checking the rates", () => {
  it.each([
    [{ rate_in: "1e-6" }, "rates.rate_in", 'rate rate_in must be a decimal number like 12.50, got "1e-6"'],
    [{ rate_in: "0.0000000000000000001" }, "rates.rate_in", 'rate rate_in has more than 18 fractional digits: "0.0000000000000000001"'],
    [{ rate_in: "" }, "rates.rate_in", 'rate rate_in must be a decimal number like 12.50, got ""'],
    [{ Rate: "1" }, "rates.Rate", 'rate name "Rate" must be a lowercase identifier like rate_in, at most 128 characters'],
    [{ "rate-in": "1" }, "rates.rate-in", 'rate name "rate-in" must be a lowercase identifier like rate_in, at most 128 characters'],
    [{ ["r".repeat(129)]: "1" }, `rates.${"r".repeat(129)}`, `rate name "${"r".repeat(129)}" must be a lowercase identifier like rate_in, at most 128 characters`],
    [{ cost: "1" }, "rates.cost", 'rate name "cost" is reserved by the formula language'],
    [{ max: "1" }, "rates.max", 'rate name "max" is reserved by the formula language'],
    [{ images: "1" }, "rates.images", 'rate name "images" is also a meter; rename the rate'],
  ])("refuses %p at %s", (rates, path, message) => {
    const error = onlyError(expression("input_tokens", rates));
    expect(error.code).toBe("BAD_RATE");
    expect(error.path).toBe(path);
    expect(error.message).toBe(message);
    expect(error.pos).toBeUndefined();
  });

  it("refuses a rate value that is not a string at all (input from outside the type system)", () => {
    const rates = JSON.parse('{"rate_in": 0.5}') as Record<string, string>;
    expect(onlyError(expression("input_tokens * rate_in", rates)).message).toBe('rate rate_in must be a decimal string like "0.0000025"');
  });

  it("does not report a bad rate a second time where the expression uses it", () => {
    const errors = errorsOf(expression("input_tokens * rate_in", { rate_in: "1e-6" }));
    expect(errors.map((e) => e.path)).toEqual(["rates.rate_in"]);
  });

  it("reports expression and rate problems together, expression first", () => {
    const errors = errorsOf(expression("input_tokns * rate_in", { rate_in: "abc", rate_out: "1.2.3" }));
    expect(errors.map((e) => e.path)).toEqual(["expression", "rates.rate_in", "rates.rate_out"]);
    const syntax = errorsOf(expression("input_tokens *", { rate_in: "abc" }));
    expect(syntax.map((e) => e.code)).toEqual(["SYNTAX", "BAD_RATE"]);
  });

  it("allows unused rates", () => {
    expect(compiled(expression("input_tokens * 2", { spare: "0.5" })).meters).toEqual(new Set(["input_tokens"]));
  });

  it(`refuses more than ${limits.formulaRatesMax} rates`, () => {
    const rates = Object.fromEntries(Array.from({ length: limits.formulaRatesMax + 1 }, (_, i) => [`r${i}`, "1"]));
    expect(onlyError(expression("r0", rates))).toEqual({ code: "TOO_MANY_RATES", message: `at most ${limits.formulaRatesMax} rates, got ${limits.formulaRatesMax + 1}`, path: "rates" });
    const enough = Object.fromEntries(Array.from({ length: limits.formulaRatesMax }, (_, i) => [`r${i}`, "1"]));
    expect(compiled(expression("r0", enough)).meters.size).toBe(0);
  });

  it("compiles a frozen copy of its source, so later changes to the input cannot diverge from it", () => {
    const rates: Record<string, string> = { ...gpt4o.rates };
    const formula = compiled({ expression: gpt4o.expression, rates });
    rates["rate_in"] = "1";
    expect(formula.source.rates["rate_in"]).toBe("0.0000025");
    expect(Object.isFrozen(formula.source.rates)).toBe(true);
  });
});

describe("checking types", () => {
  it.each([
    ["attr.tier + 1", 'column 1: the left side of "+" must be a decimal, found a string'],
    ["1 * true", 'column 5: the right side of "*" must be a decimal, found a bool'],
    ["if(attr.a < 1, 1, 2)", 'column 4: the left side of "<" must be a decimal, found a string'],
    // A binary node is placed at its operator: here the first "<".
    ["if(1 < 2 < 3, 1, 2)", 'column 6: the left side of "<" must be a decimal, found a bool'],
    ["if(input_tokens == 'x', 1, 2)", 'column 17: "==" compares a decimal with a string'],
    ["if(true != 1, 1, 2)", 'column 9: "!=" compares a bool with a decimal'],
    ["if(1 && true, 1, 2)", 'column 4: the left side of "&&" must be a condition (true/false), found a decimal'],
    ["if(true || 'x', 1, 2)", 'column 12: the right side of "||" must be a condition (true/false), found a string'],
    ["if(!1, 1, 2)", 'column 5: the operand of "!" must be a condition (true/false), found a decimal'],
    ["-true", 'column 2: the operand of "-" must be a decimal, found a bool'],
    ["if(1, 2, 3)", "column 4: the condition of if must be a condition (true/false), found a decimal"],
    ["if(true, 1, 'x')", "column 1: both branches of if must have the same type, found decimal and string"],
    ["max(1, attr.x)", "column 8: argument 2 of max must be a decimal, found a string"],
    ["input_tokens > 1", "column 14: a formula must produce an amount, but this one produces a bool"],
    ["attr.tier", "column 1: a formula must produce an amount, but this one produces a string"],
  ])("refuses %p: %s", (source, message) => {
    const error = onlyError(expression(source));
    expect(error.code).toBe("TYPE");
    expect(error.message).toBe(message);
  });

  it("allows == and != on strings, booleans and decimals, and if choosing strings or booleans", () => {
    expect(() => compiled(expression("if(attr.a == 'x' != (1 == 1.0), 1, 2)"))).not.toThrow();
    expect(() => compiled(expression("if(if(true, attr.a, 'b') == 'b', 1, 2)"))).not.toThrow();
    expect(() => compiled(expression("if(if(input_tokens > 0, true, false), 1, 2)"))).not.toThrow();
  });
});

describe("checking calls", () => {
  it.each([
    ["min(1)", "column 1: min takes 2 to 64 arguments: min(a, b, …); got 1"],
    [`max(${Array.from({ length: 65 }, () => "1").join(", ")})`, "column 1: max takes 2 to 64 arguments: max(a, b, …); got 65"],
    ["ceil(1)", "column 1: ceil takes 2 arguments: ceil(x, step); got 1"],
    ["round(1, 2, 3)", "column 1: round takes 2 arguments: round(x, digits); got 3"],
    ["if(true, 1)", "column 1: if takes 3 arguments: if(condition, then, else); got 2"],
    ["graduated(images, 0, 0)", "column 1: graduated takes 4 to 202 arguments: graduated(q, used, t1, r1, t2, r2, …); got 3"],
    ["volume(images, 0, 0, 1, 100)", "column 1: volume takes q, used, then pairs of tier start and rate: volume(q, used, t1, r1, t2, r2, …); got 5 arguments"],
  ])("refuses %p: %s", (source, message) => {
    const error = onlyError(expression(source));
    expect(error.code).toBe("ARITY");
    expect(error.message).toBe(message);
  });

  it.each([
    ["input_tokens / 0", "DIVISION_BY_ZERO", "column 16: division by zero"],
    ["cost / 0.000", "DIVISION_BY_ZERO", "column 8: division by zero"],
    ["cost / -0", "DIVISION_BY_ZERO", "column 8: division by zero"],
    ["ceil(cost, 0)", "INVALID_ARGUMENT", "column 12: ceil's step must be positive, got 0"],
    ["floor(cost, -0.01)", "INVALID_ARGUMENT", "column 13: floor's step must be positive, got -0.01"],
    ["round(cost, 19)", "INVALID_ARGUMENT", "column 13: round's digits must be a whole number from 0 to 18, got 19"],
    ["round(cost, 2.5)", "INVALID_ARGUMENT", "column 13: round's digits must be a whole number from 0 to 18, got 2.5"],
    ["round(cost, -1)", "INVALID_ARGUMENT", "column 13: round's digits must be a whole number from 0 to 18, got -1"],
    ["graduated(images, 0, 10, 1, 20, 2)", "BAD_TIERS", "column 22: graduated's first tier must start at 0"],
    ["volume(images, 0, 0, 1, 100, 2, 100, 3)", "BAD_TIERS", "column 33: volume's tier starts must increase"],
    ["volume(images, 0, 0, 1, -5, 2)", "BAD_TIERS", "column 25: volume's tier starts must increase"],
  ])("refuses the literal argument in %p (%s)", (source, code, message) => {
    const error = onlyError(expression(source));
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
  });

  it("leaves computed divisors, steps, digits and tiers to evaluation", () => {
    for (const source of ["cost / (1 - 1)", "ceil(cost, images)", "round(cost, images)", "graduated(images, 0, 0, 1, images, 2)"]) {
      expect(() => compiled(expression(source))).not.toThrow();
    }
  });
});
