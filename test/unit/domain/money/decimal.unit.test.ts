import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { AssertionFailed } from "../../../../src/domain/assert.js";
import { limits } from "../../../../src/domain/limits.js";
import { Decimal, type RoundingMode } from "../../../../src/domain/money/decimal.js";

const d = (text: string): Decimal => {
  const parsed = Decimal.parse(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const unit = 10n ** 18n;
/** Any decimal up to 10^12 in magnitude, with all 18 fractional digits in play. */
const decimal = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(Decimal.fromUnits);
const nonZero = decimal.filter((x) => !x.isZero());
const digits = fc.integer({ min: 0, max: 18 });
const modes: readonly RoundingMode[] = ["HALF_EVEN", "HALF_UP", "FLOOR", "CEIL", "DOWN"];
const abs = (n: bigint) => (n < 0n ? -n : n);

describe("reading and writing decimal text", () => {
  it.each([
    ["0.0000025", "0.0000025"],
    ["1200", "1200"],
    ["1200.000", "1200"],
    ["-3.50", "-3.5"],
    ["-0", "0"],
    ["-0.000", "0"],
    ["007.10", "7.1"],
    ["0.000000000000000001", "0.000000000000000001"],
    ["123456789012345678901234567890.123456789012345678", "123456789012345678901234567890.123456789012345678"],
  ])("parses %s and prints it canonically as %s", (text, printed) => {
    expect(d(text).toString()).toBe(printed);
  });

  it.each([
    ["", /must be a decimal number like 12.50/],
    ["1e-6", /must be a decimal number like 12.50, got "1e-6"/],
    ["+1", /must be a decimal number/],
    [" 1", /must be a decimal number/],
    ["1 ", /must be a decimal number/],
    ["1.", /must be a decimal number/],
    [".5", /must be a decimal number/],
    ["-.5", /must be a decimal number/],
    ["--1", /must be a decimal number/],
    ["1,5", /must be a decimal number/],
    ["1_000", /must be a decimal number/],
    ["NaN", /must be a decimal number/],
    ["Infinity", /must be a decimal number/],
    ["١٢", /must be a decimal number/], // Arabic-Indic digits are not ASCII digits
    ["0.0000000000000000001", /has more than 18 fractional digits/],
    ["1".repeat(65), /must be at most 64 characters, got 65/],
  ])("refuses %p, saying why", (text, why) => {
    const parsed = Decimal.parse(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(why);
  });

  it("accepts text of exactly the maximum length", () => {
    expect(Decimal.parse("1".repeat(limits.decimalLengthMax)).ok).toBe(true);
  });

  it("round-trips every value through its text", () => {
    fc.assert(fc.property(decimal, (x) => expect(d(x.toString()).eq(x)).toBe(true)));
  });

  it("prints the canonical text however the value was written, and printing changes no equality", () => {
    // Padded forms of a value's text: leading zeros after the sign, trailing fractional zeros.
    const padded = fc.tuple(decimal, fc.nat(3), fc.nat(3)).map(([x, lead, trail]) => {
      const text = x.toString();
      const sign = text.startsWith("-") ? "-" : "";
      const body = "0".repeat(lead) + text.slice(sign.length);
      // Only as many trailing zeros as 18 fractional digits leave room for.
      const zeros = Math.min(trail, 18 - (body.split(".")[1]?.length ?? 0));
      const withTrail = zeros === 0 ? body : `${body}${body.includes(".") ? "" : "."}${"0".repeat(zeros)}`;
      return { x, text, written: `${sign}${withTrail}` };
    });
    fc.assert(
      fc.property(padded, ({ x, text, written }) => {
        expect(d(written).toString()).toBe(text);
        expect(d(text).toString()).toBe(text);
        expect(Decimal.fromUnits(x.units).toString()).toBe(text);
      }),
    );
    const printed = d("42");
    printed.toString();
    expect(printed).toEqual(Decimal.fromUnits(42n * unit));
    expect(d("-0.50").toString()).toBe("-0.5");
    expect(d("-0.0").toString()).toBe("0");
    expect(d("0").toString()).toBe("0");
    expect(d("000").toString()).toBe("0");
  });

  it("never prints negative zero, trailing fractional zeros or a bare point", () => {
    fc.assert(
      fc.property(decimal, (x) => {
        const text = x.toString();
        expect(text).not.toBe("-0");
        expect(text).toMatch(/^-?\d+(\.\d*[1-9])?$/);
      }),
    );
    expect(Decimal.ZERO.negate().toString()).toBe("0");
  });

  it("prints fixed digits half-even for presentation", () => {
    expect(d("12.3").toFixedString(2)).toBe("12.30");
    expect(d("0.125").toFixedString(2)).toBe("0.12");
    expect(d("0.135").toFixedString(2)).toBe("0.14");
    expect(d("-0.001").toFixedString(2)).toBe("0.00");
    expect(d("-1.5").toFixedString(0)).toBe("-2");
    fc.assert(
      fc.property(decimal, digits, (x, n) => {
        const text = x.toFixedString(n);
        expect(d(text).eq(x.roundTo(n))).toBe(true);
        expect(text.split(".")[1]?.length ?? 0).toBe(n);
      }),
    );
  });

  it("serialises to JSON as its canonical text, never a JSON number", () => {
    expect(JSON.stringify({ amount: d("0.00775") })).toBe('{"amount":"0.00775"}');
  });
});

describe("exact arithmetic", () => {
  it("adds and subtracts exactly: a + b - b = a, commutative, associative", () => {
    fc.assert(
      fc.property(decimal, decimal, decimal, (a, b, c) => {
        expect(a.plus(b).minus(b).eq(a)).toBe(true);
        expect(a.plus(b).eq(b.plus(a))).toBe(true);
        expect(a.plus(b).plus(c).eq(a.plus(b.plus(c)))).toBe(true);
        expect(a.minus(b).eq(a.plus(b.negate()))).toBe(true);
      }),
    );
  });

  it("multiplies by a whole number exactly", () => {
    fc.assert(
      fc.property(decimal, fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), (x, n) => {
        expect(x.times(Decimal.fromBigInt(n)).units).toBe(x.units * n);
      }),
    );
  });

  it("multiplies token counts by per-token rates exactly", () => {
    expect(d("1000").times(d("0.0000025")).toString()).toBe("0.0025");
    expect(d("0.1").times(d("0.2")).toString()).toBe("0.02");
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), (tokens, rateUnits) => {
        // A rate with 12 fractional digits times a whole number has 12: exact.
        const rate = Decimal.fromUnits(rateUnits * 10n ** 6n);
        expect(Decimal.fromBigInt(tokens).times(rate).units).toBe(tokens * rateUnits * 10n ** 6n);
      }),
    );
  });

  it("rounds a product beyond 18 digits to the nearest, ties to even", () => {
    expect(d("0.000000001").times(d("0.0000000005")).toString()).toBe("0");
    expect(d("0.000000001").times(d("0.0000000015")).toString()).toBe("0.000000000000000002");
    expect(d("0.1234567891").times(d("0.1234567891")).toString()).toBe("0.015241578774881879");
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        // |exact product - rounded product| is at most half a unit of the 18th digit.
        expect(abs(a.units * b.units - a.times(b).units * unit) * 2n <= unit).toBe(true);
      }),
    );
  });

  it("divides to the nearest 18th digit, ties to even, and refuses zero as a value", () => {
    expect(d("1").dividedBy(d("3"))).toEqual({ ok: true, value: d("0.333333333333333333") });
    expect(d("2").dividedBy(d("3"))).toEqual({ ok: true, value: d("0.666666666666666667") });
    expect(d("-2").dividedBy(d("3"))).toEqual({ ok: true, value: d("-0.666666666666666667") });
    expect(d("2").dividedBy(d("-3"))).toEqual({ ok: true, value: d("-0.666666666666666667") });
    expect(d("0.000000000000000001").dividedBy(d("2"))).toEqual({ ok: true, value: Decimal.ZERO });
    expect(d("0.000000000000000003").dividedBy(d("2"))).toEqual({ ok: true, value: d("0.000000000000000002") });
    expect(d("1").dividedBy(Decimal.ZERO)).toEqual({ ok: false, error: "DIVISION_BY_ZERO" });
    fc.assert(
      fc.property(decimal, nonZero, (a, b) => {
        const q = a.dividedBy(b);
        if (!q.ok) throw new Error("nonzero divisor");
        // |a - q*b| is at most half a unit of the 18th digit of the quotient, times |b|.
        expect(abs(a.units * unit - q.value.units * b.units) * 2n <= abs(b.units)).toBe(true);
        expect(a.dividedBy(Decimal.ONE)).toEqual({ ok: true, value: a });
      }),
    );
  });

  it("compares consistently with subtraction", () => {
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        const diff = a.minus(b);
        expect(a.cmp(b)).toBe(diff.isNegative() ? -1 : diff.isZero() ? 0 : 1);
        expect([a.lt(b), a.lte(b), a.eq(b), a.gte(b), a.gt(b)]).toEqual([diff.isNegative(), !diff.isPositive(), diff.isZero(), !diff.isNegative(), diff.isPositive()]);
        expect(Decimal.min(a, b).lte(Decimal.max(a, b))).toBe(true);
        expect(a.abs().isNegative()).toBe(false);
      }),
    );
  });

  it("knows integers, signs and its constants", () => {
    expect([d("3").isInteger(), d("3.5").isInteger(), d("-4").isInteger()]).toEqual([true, false, true]);
    expect([Decimal.ZERO.isZero(), Decimal.ONE.toString(), Decimal.fromBigInt(-12n).toString()]).toEqual([true, "1", "-12"]);
    expect(Decimal.fromUnits(25n * 10n ** 11n).toString()).toBe("0.0000025");
    expect(d("0.0000025").units).toBe(25n * 10n ** 11n);
    expect(Decimal.sum([d("1.5"), d("2.25"), d("-0.75")]).toString()).toBe("3");
  });
});

describe("rounding", () => {
  it.each([
    ["2.5", 0, "HALF_EVEN", "2"],
    ["3.5", 0, "HALF_EVEN", "4"],
    ["-2.5", 0, "HALF_EVEN", "-2"],
    ["0.125", 2, "HALF_EVEN", "0.12"],
    ["2.345", 2, "HALF_UP", "2.35"],
    ["-2.345", 2, "HALF_UP", "-2.35"],
    ["2.349", 2, "FLOOR", "2.34"],
    ["-2.341", 2, "FLOOR", "-2.35"],
    ["2.341", 2, "CEIL", "2.35"],
    ["-2.349", 2, "CEIL", "-2.34"],
    ["-2.349", 2, "DOWN", "-2.34"],
    ["-0.4", 0, "HALF_EVEN", "0"],
  ] as const)("rounds %s to %i digits %s as %s", (x, n, mode, expected) => {
    expect(d(x).roundTo(n, mode).toString()).toBe(expected);
  });

  it("keeps every mode within one step, on the side the mode promises", () => {
    fc.assert(
      fc.property(decimal, digits, (x, n) => {
        const step = Decimal.fromUnits(10n ** BigInt(18 - n));
        const [even, up, floor, ceil, down] = modes.map((m) => x.roundTo(n, m));
        for (const r of [even, up, floor, ceil, down]) expect(r?.eq(r.roundTo(n, "DOWN"))).toBe(true);
        expect(floor!.lte(x) && x.lte(ceil!)).toBe(true);
        expect(ceil!.minus(floor!).lte(step)).toBe(true);
        expect(down!.abs().lte(x.abs())).toBe(true);
        expect(even!.minus(x).abs().times(Decimal.fromBigInt(2n)).lte(step)).toBe(true);
        expect(up!.minus(x).abs().times(Decimal.fromBigInt(2n)).lte(step)).toBe(true);
      }),
    );
  });

  it("rounds to a multiple of a positive step along the number line", () => {
    expect(d("1001").ceilToStep(d("1000")).toString()).toBe("2000");
    expect(d("1999").floorToStep(d("1000")).toString()).toBe("1000");
    expect(d("-0.5").ceilToStep(d("1")).toString()).toBe("0");
    expect(d("-0.0015").floorToStep(d("0.001")).toString()).toBe("-0.002");
    expect(d("0.010075").ceilToStep(d("0.001")).toString()).toBe("0.011");
    fc.assert(
      fc.property(decimal, decimal.filter((s) => s.isPositive()), (x, step) => {
        const up = x.ceilToStep(step);
        const down = x.floorToStep(step);
        expect(down.lte(x) && x.lte(up)).toBe(true);
        expect(up.units % step.units).toBe(0n);
        expect(down.units % step.units).toBe(0n);
        expect(up.minus(down).eq(x.units % step.units === 0n ? Decimal.ZERO : step)).toBe(true);
      }),
    );
  });

  it("treats a bad digit count or step as a bug, not an input", () => {
    expect(() => d("1").roundTo(19)).toThrow(AssertionFailed);
    expect(() => d("1").roundTo(1.5)).toThrow(AssertionFailed);
    expect(() => d("1").ceilToStep(Decimal.ZERO)).toThrow(AssertionFailed);
    expect(() => d("1").floorToStep(d("-1"))).toThrow(AssertionFailed);
  });
});
