import { assert } from "../assert.js";
import { Decimal } from "./decimal.js";

/**
 * Splits `total` in proportion to `weights` at full precision (10^-18 units). Flooring each
 * share leaves a few units over; they are handed out one each to the parts with the largest
 * remainders (ties to the earlier part), so the parts always sum exactly to the total and a
 * zero weight always gets exactly zero. Weights must be non-negative with a positive sum
 * (anything else is a bug). A negative total is split as its absolute value, then negated.
 */
export function allocate(total: Decimal, weights: readonly Decimal[]): Decimal[] {
  assert(weights.length > 0, "allocate needs at least one weight");
  assert(weights.every((w) => !w.isNegative()), "weights must not be negative");
  const weightSum = weights.reduce((a, w) => a + w.units, 0n);
  assert(weightSum > 0n, "weights must not all be zero");
  const negative = total.isNegative();
  const units = negative ? -total.units : total.units;
  const shares = weights.map((w, i) => ({ i, units: (units * w.units) / weightSum, remainder: (units * w.units) % weightSum }));
  let left = units - shares.reduce((a, s) => a + s.units, 0n);
  // left < number of parts with a non-zero remainder, so no part gets more than one extra unit.
  const byRemainder = [...shares].sort((a, b) => (b.remainder > a.remainder ? 1 : b.remainder < a.remainder ? -1 : a.i - b.i));
  for (const share of byRemainder) {
    if (left === 0n) break;
    share.units += 1n;
    left -= 1n;
  }
  const parts = shares.map((s) => Decimal.fromUnits(negative ? -s.units : s.units));
  assert(Decimal.sum(parts).eq(total), "allocated parts must sum to the total");
  return parts;
}

/**
 * Rounds amounts to a currency's minor unit for presentation (an invoice), half-even, carrying
 * each sub-unit remainder into the next amount. The presented amounts plus the returned carry
 * always equal the exact amounts plus `carryIn`, and after at least one amount the carry is at
 * most half a minor unit, so
 * the presented total never drifts from the exact total by more than that. Pass `carryOut` as
 * the next batch's `carryIn` for the same account.
 */
export function presentInMinorUnits(
  amounts: readonly Decimal[],
  minorDigits: number,
  carryIn: Decimal = Decimal.ZERO,
): { presented: Decimal[]; carryOut: Decimal } {
  let carry = carryIn;
  const presented = amounts.map((amount) => {
    const exact = amount.plus(carry);
    const shown = exact.roundTo(minorDigits, "HALF_EVEN");
    carry = exact.minus(shown);
    return shown;
  });
  return { presented, carryOut: carry };
}
