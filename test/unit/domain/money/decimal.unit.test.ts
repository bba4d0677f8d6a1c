import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { allocate, presentInMinorUnits } from "../../../../src/domain/money/allocate.js";
import { Decimal } from "../../../../src/domain/money/decimal.js";
import { minorUnitDigits, parseCurrency } from "../../../../src/domain/money/money.js";

const d = (text: string): Decimal => {
  const parsed = Decimal.parse(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
/** Any decimal the type can hold, up to 10^12 in magnitude, with all 18 fractional digits in play. */
const decimal = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(Decimal.fromUnits);
const smallDecimal = fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }).map(Decimal.fromUnits);

describe("decimal text", () => {
  it.each([
    ["0.0000025", "0.0000025"],
    ["1200", "1200"],
    ["-3.50", "-3.5"],
    ["-0", "0"],
    ["0.000000000000000001", "0.000000000000000001"],
  ])("parses %s and prints %s", (text, printed) => {
    expect(d(text).toString()).toBe(printed);
  });

  it.each(["", "1e-6", "+1", " 1", "1.", ".5", "1,5", "NaN", "Infinity", "0.0000000000000000001", "1".repeat(65)])("refuses %p", (text) => {
    expect(Decimal.parse(text).ok).toBe(false);
  });

  it("round-trips every value through its text", () => {
    fc.assert(fc.property(decimal, (x) => expect(d(x.toString()).eq(x)).toBe(true)));
  });
});

describe("decimal arithmetic", () => {
  it("adds and subtracts exactly", () => {
    fc.assert(
      fc.property(decimal, decimal, decimal, (a, b, c) => {
        expect(a.plus(b).minus(b).eq(a)).toBe(true);
        expect(a.plus(b).eq(b.plus(a))).toBe(true);
        expect(a.plus(b).plus(c).eq(a.plus(b.plus(c)))).toBe(true);
      }),
    );
  });

  it("multiplies token counts by rates exactly", () => {
    expect(d("1000").times(d("0.0000025")).toString()).toBe("0.0025");
    expect(d("0.1").times(d("0.2")).toString()).toBe("0.02");
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: 0n, max: 10n ** 12n }), (tokens, rateUnits) => {
        // A rate with at most 12 fractional digits times a whole number has at most 12: exact.
        const rate = Decimal.fromUnits(rateUnits * 10n ** 6n);
        expect(Decimal.fromBigInt(tokens).times(rate).units).toBe(tokens * rateUnits * 10n ** 6n);
      }),
    );
  });

  it("rounds products and quotients beyond 18 digits half-even", () => {
    expect(d("0.000000001").times(d("0.0000000005")).toString()).toBe("0");
    expect(d("0.000000001").times(d("0.0000000015")).toString()).toBe("0.000000000000000002");
    expect(d("1").dividedBy(d("3"))).toEqual({ ok: true, value: d("0.333333333333333333") });
    expect(d("2").dividedBy(d("3"))).toEqual({ ok: true, value: d("0.666666666666666667") });
    expect(d("1").dividedBy(Decimal.ZERO)).toEqual({ ok: false, error: "DIVISION_BY_ZERO" });
  });

  it("rounds to digits and steps", () => {
    expect(d("2.5").roundTo(0).toString()).toBe("2");
    expect(d("3.5").roundTo(0).toString()).toBe("4");
    expect(d("-2.5").roundTo(0).toString()).toBe("-2");
    expect(d("2.345").roundTo(2, "HALF_UP").toString()).toBe("2.35");
    expect(d("1001").ceilToStep(d("1000")).toString()).toBe("2000");
    expect(d("1999").floorToStep(d("1000")).toString()).toBe("1000");
    expect(d("-0.5").ceilToStep(d("1")).toString()).toBe("0");
    expect(d("12.3").toFixedString(2)).toBe("12.30");
  });
});

describe("splitting money", () => {
  it("hands out the remainder so the parts always sum to the whole", () => {
    fc.assert(
      fc.property(smallDecimal, fc.array(fc.bigInt({ min: 0n, max: 10n ** 20n }), { minLength: 1, maxLength: 12 }), (total, raw) => {
        const weights = raw.map(Decimal.fromUnits);
        fc.pre(raw.some((w) => w > 0n));
        const parts = allocate(total, weights);
        expect(Decimal.sum(parts).eq(total)).toBe(true);
        raw.forEach((w, i) => {
          if (w === 0n) expect(parts[i]?.isZero()).toBe(true);
        });
      }),
    );
  });

  it("splits $1.00 three ways as 0.333…334, 0.333…333, 0.333…333", () => {
    const parts = allocate(d("1"), [d("1"), d("1"), d("1")]).map((p) => p.toString());
    expect(parts).toEqual(["0.333333333333333334", "0.333333333333333333", "0.333333333333333333"]);
  });

  it("presents amounts in minor units without drifting from the exact total", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 20n }), { maxLength: 50 }), fc.constantFrom(0, 2, 3), (raw, digits) => {
        const amounts = raw.map(Decimal.fromUnits);
        const { presented, carryOut } = presentInMinorUnits(amounts, digits);
        expect(Decimal.sum(presented).plus(carryOut).eq(Decimal.sum(amounts))).toBe(true);
        const halfMinorUnit = Decimal.fromUnits(5n * 10n ** BigInt(17 - digits));
        expect(carryOut.abs().lte(halfMinorUnit)).toBe(true);
        for (const p of presented) expect(p.eq(p.roundTo(digits))).toBe(true);
      }),
    );
  });
});

describe("currencies", () => {
  it.each([["USD", true], ["CREDITS", true], ["GPU_HOURS", true], ["usd", false], ["U", false], ["US D", false]])("%s valid: %s", (code, valid) => {
    expect(parseCurrency(code).ok).toBe(valid);
  });
  it("knows minor units", () => {
    expect([minorUnitDigits("USD"), minorUnitDigits("JPY"), minorUnitDigits("KWD"), minorUnitDigits("CREDITS")]).toEqual([2, 0, 3, 6]);
  });
});
