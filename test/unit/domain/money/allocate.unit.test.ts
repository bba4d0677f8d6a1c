import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { AssertionFailed } from "../../../../src/domain/assert.js";
import { allocate, presentInMinorUnits } from "../../../../src/domain/money/allocate.js";
import { Decimal } from "../../../../src/domain/money/decimal.js";

const d = (text: string): Decimal => {
  const parsed = Decimal.parse(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const amount = fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n }).map(Decimal.fromUnits);
const weights = fc.array(fc.bigInt({ min: 0n, max: 10n ** 20n }), { minLength: 1, maxLength: 12 }).filter((raw) => raw.some((w) => w > 0n));
const halfMinorUnit = (digits: number) => Decimal.fromUnits(5n * 10n ** BigInt(17 - digits));

describe("allocating an amount in proportion to weights", () => {
  it("hands out the remainder so the parts always sum exactly to the whole", () => {
    fc.assert(
      fc.property(amount, weights, (total, raw) => {
        const parts = allocate(total, raw.map(Decimal.fromUnits));
        expect(parts).toHaveLength(raw.length);
        expect(Decimal.sum(parts).eq(total)).toBe(true);
      }),
    );
  });

  it("gives a zero weight exactly zero and every part its share within one unit", () => {
    fc.assert(
      fc.property(amount, weights, (total, raw) => {
        const parts = allocate(total, raw.map(Decimal.fromUnits));
        const weightSum = raw.reduce((a, w) => a + w, 0n);
        raw.forEach((w, i) => {
          const part = parts[i]?.units ?? 0n;
          if (w === 0n) expect(part).toBe(0n);
          // part × weightSum is within one unit × weightSum of the exact share total × w.
          const error = part * weightSum - total.units * w;
          expect(error < 0n ? -error : error).toBeLessThan(weightSum);
        });
      }),
    );
  });

  it("splits $1.00 three ways as 0.333…334, 0.333…333, 0.333…333", () => {
    const parts = allocate(d("1"), [d("1"), d("1"), d("1")]).map((p) => p.toString());
    expect(parts).toEqual(["0.333333333333333334", "0.333333333333333333", "0.333333333333333333"]);
  });

  it("splits a negative amount (a refund) as the mirror of the positive split", () => {
    const parts = allocate(d("-1"), [d("1"), d("2")]).map((p) => p.toString());
    expect(parts).toEqual(["-0.333333333333333333", "-0.666666666666666667"]);
  });

  it("treats missing, negative or all-zero weights as a bug", () => {
    expect(() => allocate(d("1"), [])).toThrow(AssertionFailed);
    expect(() => allocate(d("1"), [d("-1"), d("2")])).toThrow(AssertionFailed);
    expect(() => allocate(d("1"), [Decimal.ZERO])).toThrow(AssertionFailed);
  });
});

describe("presenting amounts in a currency's minor unit", () => {
  const exact = fc.array(fc.bigInt({ min: -(10n ** 19n), max: 10n ** 20n }).map(Decimal.fromUnits), { maxLength: 50 });
  const minorDigits = fc.constantFrom(0, 2, 3, 6);

  it("never drifts from the exact total by more than half a minor unit", () => {
    fc.assert(
      fc.property(exact, minorDigits, (amounts, digits) => {
        const { presented, carryOut } = presentInMinorUnits(amounts, digits, Decimal.ZERO);
        expect(Decimal.sum(presented).plus(carryOut).eq(Decimal.sum(amounts))).toBe(true);
        expect(Decimal.sum(presented).minus(Decimal.sum(amounts)).abs().lte(halfMinorUnit(digits))).toBe(true);
        for (const p of presented) expect(p.eq(p.roundTo(digits))).toBe(true);
      }),
    );
  });

  it("carries the remainder across batches exactly as if they were one", () => {
    fc.assert(
      fc.property(exact, exact, minorDigits, (first, second, digits) => {
        const a = presentInMinorUnits(first, digits, Decimal.ZERO);
        const b = presentInMinorUnits(second, digits, a.carryOut);
        const whole = presentInMinorUnits([...first, ...second], digits, Decimal.ZERO);
        expect([...a.presented, ...b.presented]).toEqual(whole.presented);
        expect(b.carryOut.eq(whole.carryOut)).toBe(true);
      }),
    );
  });

  it("shows three charges of a third of a cent as 0.00, 0.01, 0.00 rather than losing the cent", () => {
    const third = d("0.003333333333333333");
    const { presented, carryOut } = presentInMinorUnits([third, third, third], 2, Decimal.ZERO);
    expect(presented.map((p) => p.toFixedString(2))).toEqual(["0.00", "0.01", "0.00"]);
    expect(carryOut.toString()).toBe("-0.000000000000000001");
  });
});
