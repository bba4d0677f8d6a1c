import { assert } from "../assert.js";
import { Decimal } from "./decimal.js";

/**
 * Splits `total` in proportion to `weights` at full precision, handing the units that rounding
 * leaves over to the parts with the largest remainders, so the parts always sum exactly to the
 * total (largest-remainder method). Weights must be non-negative with a positive sum.
 */
export function allocate(total: Decimal, weights: readonly Decimal[]): Decimal[] {
  assert(weights.length > 0, "allocate needs at least one weight");
  assert(weights.every((w) => !w.isNegative()), "weights must not be negative");
  const weightSum = weights.reduce((a, w) => a + w.units, 0n);
  assert(weightSum > 0n, "weights must not all be zero");
  const negative = total.isNegative();
  const units = negative ? -total.units : total.units;
  const shares = weights.map((w, i) => ({ i, floor: (units * w.units) / weightSum, remainder: (units * w.units) % weightSum }));
  let left = units - shares.reduce((a, s) => a + s.floor, 0n);
  const byRemainder = [...shares].sort((a, b) => (b.remainder > a.remainder ? 1 : b.remainder < a.remainder ? -1 : a.i - b.i));
  for (const share of byRemainder) {
    if (left === 0n) break;
    share.floor += 1n;
    left -= 1n;
  }
  return shares.map((s) => Decimal.fromUnits(negative ? -s.floor : s.floor));
}

/**
 * Rounds amounts to a currency's minor unit for presentation (an invoice), half-even, carrying
 * each sub-unit remainder into the next amount, so the presented amounts never drift from the
 * exact amounts by more than half a minor unit in total. Returns the carry to pass on to the
 * next batch of the same account.
 */
export function presentInMinorUnits(amounts: readonly Decimal[], minorDigits: number, carryIn: Decimal = Decimal.ZERO): { presented: Decimal[]; carryOut: Decimal } {
  let carry = carryIn;
  const presented = amounts.map((amount) => {
    const exact = amount.plus(carry);
    const shown = exact.roundTo(minorDigits, "HALF_EVEN");
    carry = exact.minus(shown);
    return shown;
  });
  return { presented, carryOut: carry };
}
