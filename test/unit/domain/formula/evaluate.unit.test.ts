import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { limits } from "../../../../src/domain/limits.js";
import { Decimal } from "../../../../src/domain/money/decimal.js";
import { compiled, d, evaluate, expression, gpt4o, price, sonnet4 } from "./fixtures.js";

describe("pricing with public list prices, exact to the last digit", () => {
  it("GPT-4o: 1,000 input, 500 output and 200 cached input tokens cost exactly 0.00775", () => {
    expect(price(gpt4o, { quantities: { input_tokens: "1000", output_tokens: "500", cached_input_tokens: "200" } })).toBe("0.00775");
  });

  it("GPT-4o: one input token costs 0.0000025, a million cost 2.5, and no usage costs 0", () => {
    expect(price(gpt4o, { quantities: { input_tokens: "1" } })).toBe("0.0000025");
    expect(price(gpt4o, { quantities: { input_tokens: "1000000" } })).toBe("2.5");
    expect(price(gpt4o)).toBe("0");
  });

  it("Claude Sonnet 4: $3 in, $15 out, $0.30 cache read per 1M tokens", () => {
    expect(price(sonnet4, { quantities: { input_tokens: "1000", output_tokens: "500", cached_input_tokens: "200" } })).toBe("0.01056");
    expect(price(sonnet4, { quantities: { input_tokens: "123457", output_tokens: "9876", cached_input_tokens: "50000" } })).toBe("0.533511");
  });

  it("cost plus 25% of a GPT-4o call", () => {
    expect(price(expression("cost * 1.25"), { cost: "0.00775" })).toBe("0.0096875");
  });

  it("cost plus 30% with a minimum per call", () => {
    const source = expression("max(cost * markup, minimum)", { markup: "1.3", minimum: "0.0001" });
    expect(price(source, { cost: "0.00775" })).toBe("0.010075");
    expect(price(source, { cost: "0.000025" })).toBe("0.0001");
  });
});

describe("tiered pricing over the billing period", () => {
  // The first 1M input tokens of the period at $3.00 per 1M, every token beyond at $2.50 per 1M.
  const tiers = "0, 0.000003, 1000000, 0.0000025";
  const graduated = expression(`graduated(input_tokens, period.input_tokens, ${tiers})`);
  const volume = expression(`volume(input_tokens, period.input_tokens, ${tiers})`);
  const event = (used: string, q: string) => ({ quantities: { input_tokens: q }, period: { input_tokens: used } });

  it("graduated prices an event that crosses a tier boundary partly at each rate", () => {
    expect(price(graduated, event("800000", "300000"))).toBe("0.85"); // 200,000 × 0.000003 + 100,000 × 0.0000025
    expect(price(graduated, event("999999", "2"))).toBe("0.0000055");
  });

  it("graduated prices an event wholly inside one tier at that tier's rate", () => {
    expect(price(graduated, event("0", "300000"))).toBe("0.9");
    expect(price(graduated, event("5000000", "1"))).toBe("0.0000025");
    expect(price(graduated, event("0", "0"))).toBe("0");
  });

  it("graduated with a free first tier is an allowance", () => {
    const allowance = expression("graduated(input_tokens, period.input_tokens, 0, 0, 1000000, 0.000002)");
    expect(price(allowance, event("800000", "300000"))).toBe("0.2");
  });

  it("volume charges the change in the period's volume price", () => {
    expect(price(volume, event("0", "800000"))).toBe("2.4");
    expect(price(volume, event("800000", "300000"))).toBe("0.35"); // 1,100,000 × 0.0000025 − 800,000 × 0.000003
  });

  it("volume gives a rebate when an event moves the period into a cheaper tier", () => {
    expect(price(volume, event("900000", "100000"))).toBe("-0.2");
  });

  const eventSizes = fc.array(fc.integer({ min: 0, max: 700_000 }), { maxLength: 12 });
  const threeTiers = "0, 0.000003, 1000000, 0.0000025, 3000000, 0.000002";

  it("graduated: a period's charges sum to the graduated price of its total, however it is split", () => {
    const source = expression(`graduated(input_tokens, period.input_tokens, ${threeTiers})`);
    fc.assert(
      fc.property(eventSizes, (sizes) => {
        let used = 0n;
        let charged = Decimal.ZERO;
        for (const q of sizes) {
          charged = charged.plus(d(price(source, event(String(used), String(q)))));
          used += BigInt(q);
        }
        expect(charged.toString()).toBe(price(source, event("0", String(used))));
      }),
      { numRuns: 200 },
    );
  });

  it("volume: a period's charges sum to its total at the rate of the tier the total reached", () => {
    const source = expression(`volume(input_tokens, period.input_tokens, ${threeTiers})`);
    fc.assert(
      fc.property(eventSizes, (sizes) => {
        let used = 0n;
        let charged = Decimal.ZERO;
        for (const q of sizes) {
          charged = charged.plus(d(price(source, event(String(used), String(q)))));
          used += BigInt(q);
        }
        const rate = used >= 3_000_000n ? "0.000002" : used >= 1_000_000n ? "0.0000025" : "0.000003";
        expect(charged.eq(Decimal.fromBigInt(used).times(d(rate)))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("functions", () => {
  it.each([
    ["min(3, 1, 2)", "1"],
    ["max(3, 1, 2)", "3"],
    ["min(0.00775 * 1.3, 0.01)", "0.01"],
    ["ceil(0.010075, 0.001)", "0.011"],
    ["floor(0.010075, 0.001)", "0.01"],
    ["floor(1234, 1000)", "1000"],
    ["ceil(-0.0015, 0.001)", "-0.001"],
    ["floor(-0.0015, 0.001)", "-0.002"],
    ["ceil(0.00775 * 1.3, 0.01)", "0.02"],
    ["round(0.010075, 4)", "0.0101"],
    ["round(0.010075, 5)", "0.01008"],
    ["round(0.010085, 5)", "0.01008"],
    ["round(2.5, 0)", "2"],
    ["round(1.5, 0)", "2"],
    ["round(0.125, 2)", "0.12"],
    ["round(-0.125, 2)", "-0.12"],
    ["round(-0.5, 0)", "0"],
    ["round(1 / 3, 18)", "0.333333333333333333"],
    ["if(true, 1, 2)", "1"],
    ["if(false, 1, 2)", "2"],
  ])("%s = %s", (source, expected) => {
    expect(price(expression(source))).toBe(expected);
  });

  it("min and max of any 2 to 64 decimals are the least and the greatest of them", () => {
    const decimal = fc.tuple(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.integer({ min: 0, max: 12 })).map(([units, scale]) => {
      const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, "0");
      return `${units < 0n ? "-" : ""}${scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`}`;
    });
    fc.assert(
      fc.property(fc.array(decimal, { minLength: 2, maxLength: 64 }), (values) => {
        const list = values.join(", ");
        const sorted = values.map(d).sort((a, b) => (a.lt(b) ? -1 : a.gt(b) ? 1 : 0));
        expect(price(expression(`min(${list})`))).toBe((sorted[0] as Decimal).toString());
        expect(price(expression(`max(${list})`))).toBe((sorted[sorted.length - 1] as Decimal).toString());
      }),
      { numRuns: 200 },
    );
  });

  it("min and max report the first argument that fails, after any that succeed", () => {
    for (const fn of ["min", "max"]) {
      const result = evaluate(expression(`${fn}(1, 2 / images, ceil(1, images))`));
      expect(!result.ok && [result.error.code, result.error.pos?.column]).toEqual(["DIVISION_BY_ZERO", 12]);
    }
  });

  it("bills per started minute", () => {
    expect(price(expression("ceil(seconds, 60) / 60 * rate_minute", { rate_minute: "0.006" }), { quantities: { seconds: "61" } })).toBe("0.012");
  });

  it("chooses by attribute, which is empty when the event does not carry it", () => {
    const regional = expression('if(attr.region == "eu", cost * 1.2, cost * 1.1)');
    expect(price(regional, { cost: "0.01", attributes: { region: "eu" } })).toBe("0.012");
    expect(price(regional, { cost: "0.01", attributes: { region: "us" } })).toBe("0.011");
    expect(price(regional, { cost: "0.01" })).toBe("0.011");
    expect(price(expression("if(attr.region == '', 1, 2)"))).toBe("1");
  });

  it("compares strings exactly and case-sensitively", () => {
    const hd = expression('images * 0.04 + if(attr.quality == "hd", images * 0.04, 0)');
    expect(price(hd, { quantities: { images: "3" }, attributes: { quality: "hd" } })).toBe("0.24");
    expect(price(hd, { quantities: { images: "3" }, attributes: { quality: "HD" } })).toBe("0.12");
  });

  it("chooses strings and booleans with if, too", () => {
    expect(price(expression("if(if(attr.tier == '', 'free', attr.tier) == 'free', 0, 1)"))).toBe("0");
    expect(price(expression("if(if(images > 1, true, false) == false, 5, 6)"))).toBe("5");
  });
});

describe("operators and their precedence", () => {
  it.each([
    ["1 + 2 * 3", "7"],
    ["(1 + 2) * 3", "9"],
    ["-2 * 3 + 1", "-5"],
    ["2 * -3", "-6"],
    ["- -2", "2"],
    ["2 - -3", "5"],
    ["10 - 4 - 3", "3"],
    ["12 / 3 / 2", "2"],
    ["1 + 2 * 3 - 4 / 2", "5"],
    ["-(1 + 2) * 3", "-9"],
    ["1 / 3 * 3", "0.999999999999999999"],
    ["1 * 3 / 3", "1"],
    ["if(false || true && false, 1, 2)", "2"],
    ["if(true || false && false, 1, 2)", "1"],
    ["if(!false && false, 1, 2)", "2"],
    ["if(!(false && false), 1, 2)", "1"],
    ["if(1 + 1 == 2, 1, 2)", "1"],
    ["if(1 < 2 == 2 < 3, 1, 2)", "1"],
    ["if(1 < 2 == 2 < 3 || false, 7, 8)", "7"],
    ["if(1.0 == 1, 1, 2)", "1"],
    ["if(2 >= 2 && 2 <= 2 && 1 != 2 && 3 > 2, 1, 2)", "1"],
    ["min(1, 10) - 3 * 2 + 0.5", "-4.5"],
  ])("%s = %s", (source, expected) => {
    expect(price(expression(source))).toBe(expected);
  });
});

describe("evaluation never throws: problems that depend on one event's values are error values", () => {
  it("division by a value that is zero, at the divisor's column", () => {
    expect(evaluate(expression("input_tokens / (output_tokens - output_tokens)"), { quantities: { input_tokens: "1" } })).toEqual({
      ok: false,
      error: { code: "DIVISION_BY_ZERO", message: "column 31: division by zero", pos: { offset: 30, column: 31 }, path: "expression" },
    });
  });

  it.each([
    ["ceil(cost, images)", { cost: "1" }, "INVALID_ARGUMENT", "column 1: ceil's step must be positive, got 0"],
    ["floor(cost, images - 1)", { cost: "1" }, "INVALID_ARGUMENT", "column 1: floor's step must be positive, got -1"],
    ["round(cost, images)", { cost: "1", quantities: { images: "2.5" } }, "INVALID_ARGUMENT", "column 1: round's digits must be a whole number from 0 to 18, got 2.5"],
    ["round(cost, images)", { cost: "1", quantities: { images: "19" } }, "INVALID_ARGUMENT", "column 1: round's digits must be a whole number from 0 to 18, got 19"],
    ["graduated(images - 10, 0, 0, 1)", { quantities: { images: "5" } }, "INVALID_ARGUMENT", "column 1: graduated's quantity and used amount must not be negative"],
    ["volume(1, images - 10, 0, 1)", {}, "INVALID_ARGUMENT", "column 1: volume's quantity and used amount must not be negative"],
    ["graduated(1, 0, 0, 1, images, 2)", {}, "BAD_TIERS", "column 1: graduated's tiers must start at 0 and increase"],
    ["volume(1, 0, images, 1)", { quantities: { images: "1" } }, "BAD_TIERS", "column 1: volume's tiers must start at 0 and increase"],
    ["cost * 2", {}, "MISSING_INPUT", "column 1: this formula reads cost, but no cost was given for this usage"],
  ] as const)("%s with %j: %s", (source, usage, code, message) => {
    const result = evaluate(expression(source), usage);
    expect(result.ok).toBe(false);
    if (!result.ok) expect([result.error.code, result.error.message]).toEqual([code, message]);
  });

  it("a formula reading period.<meter> needs the period's quantities; a meter absent from them is 0", () => {
    const formula = compiled(expression("graduated(images, period.images, 0, 0.05, 100, 0.04)"));
    const noPeriod = formula.evaluate({ quantities: new Map([["images", d("1")]]), attributes: new Map() });
    expect(!noPeriod.ok && [noPeriod.error.code, noPeriod.error.message]).toEqual(["MISSING_INPUT", "column 19: this formula reads period.images, but no period quantities were given"]);
    const empty = formula.evaluate({ quantities: new Map([["images", d("1")]]), attributes: new Map(), period: new Map() });
    expect(empty.ok && empty.value.toString()).toBe("0.05");
  });

  it("the first problem met, left to right, is the one reported", () => {
    const result = evaluate(expression("1 / images + ceil(1, images)"));
    expect(!result.ok && result.error.code).toBe("DIVISION_BY_ZERO");
  });

  it("if evaluates only the branch it picks", () => {
    const guarded = expression("if(input_tokens > 0, 1 / input_tokens, 0)");
    expect(price(guarded, { quantities: { input_tokens: "0" } })).toBe("0");
    expect(price(guarded, { quantities: { input_tokens: "4" } })).toBe("0.25");
  });

  it("&& and || evaluate their right side only when it can change the answer", () => {
    expect(price(expression("if(input_tokens == 0 || 1 / input_tokens > 1, 1, 2)"))).toBe("1");
    expect(price(expression("if(input_tokens != 0 && 1 / input_tokens > 1, 1, 2)"))).toBe("2");
  });

  it("a formula compiled once evaluates many events independently", () => {
    const formula = compiled(gpt4o);
    const rate = (input: string) => {
      const result = formula.evaluate({ quantities: new Map([["input_tokens", d(input)]]), attributes: new Map() });
      return result.ok ? result.value.toString() : result.error.code;
    };
    expect([rate("1000"), rate("0"), rate("2000"), rate("1000")]).toEqual(["0.0025", "0", "0.005", "0.0025"]);
  });

  it("evaluates the tallest tree the limits allow without exhausting the stack", () => {
    const terms = limits.formulaNodeCountMax / 2;
    const chain = Array.from({ length: terms }, () => "r").join("+");
    expect(price(expression(chain, { r: "0.5" }))).toBe(String(terms / 2));
  });
});
