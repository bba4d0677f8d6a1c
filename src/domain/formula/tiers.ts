import { assert } from "../assert.js";
import { Decimal } from "../money/decimal.js";

/** A tier: from `start` (inclusive) until the next tier's start (exclusive), at `rate` per unit. */
export type Tier = { readonly start: Decimal; readonly rate: Decimal };

/**
 * Tiers are usable when the first starts at 0 and the starts increase strictly: then every
 * non-negative quantity falls in exactly one tier, and the last tier has no end.
 */
export function tiersAreValid(tiers: readonly Tier[]): boolean {
  return tiers.length > 0 && (tiers[0]?.start.isZero() ?? false) && tiers.every((t, i) => i === 0 || t.start.gt(tiers[i - 1]?.start ?? t.start));
}

/**
 * Graduated pricing: the units from `used` to `used + q` are split across the tiers they fall
 * in and each part is priced at its own tier's rate, so one event can straddle a boundary.
 * `q` and `used` must be non-negative and the tiers valid (the caller checks; a bug otherwise).
 */
export function graduated(q: Decimal, used: Decimal, tiers: readonly Tier[]): Decimal {
  assert(!q.isNegative() && !used.isNegative() && tiersAreValid(tiers), "graduated needs q, used >= 0 and valid tiers");
  const to = used.plus(q);
  let charge = Decimal.ZERO;
  tiers.forEach((tier, i) => {
    const end = tiers[i + 1]?.start;
    const lo = Decimal.max(used, tier.start);
    const hi = end === undefined ? to : Decimal.min(to, end);
    if (hi.gt(lo)) charge = charge.plus(hi.minus(lo).times(tier.rate));
  });
  return charge;
}

/** The rate of the tier `x` has reached: the last tier starting at or below `x`. */
function rateAt(x: Decimal, tiers: readonly Tier[]): Decimal {
  let rate = Decimal.ZERO;
  for (const tier of tiers) {
    if (tier.start.lte(x)) rate = tier.rate;
    else break;
  }
  return rate;
}

/**
 * Volume pricing, charged incrementally. The whole period's quantity is priced at the rate of
 * the tier the period total reaches: total(x) = x × rate(tier(x)). One event's charge is
 * total(used + q) − total(used), so the charges of a period's events sum (telescoping) to the
 * volume price of the period total, whatever order and sizes the events come in.
 * Crossing into a cheaper tier makes that event's charge negative: the rebate on earlier usage
 * that volume pricing implies.
 */
export function volume(q: Decimal, used: Decimal, tiers: readonly Tier[]): Decimal {
  assert(!q.isNegative() && !used.isNegative() && tiersAreValid(tiers), "volume needs q, used >= 0 and valid tiers");
  const total = (x: Decimal) => x.times(rateAt(x, tiers));
  return total(used.plus(q)).minus(total(used));
}
