import { Decimal } from "../money/decimal.js";

/** A tier: from `start` (inclusive) until the next tier's start, priced at `rate` per unit. */
export type Tier = { readonly start: Decimal; readonly rate: Decimal };

/**
 * Graduated pricing: the units from `used` to `used + q` are split across the tiers they fall
 * in and each part is priced at its own tier's rate, so one event can straddle a boundary.
 */
export function graduated(q: Decimal, used: Decimal, tiers: readonly Tier[]): Decimal {
  const from = used;
  const to = used.plus(q);
  let charge = Decimal.ZERO;
  tiers.forEach((tier, i) => {
    const end = tiers[i + 1]?.start;
    const lo = Decimal.max(from, tier.start);
    const hi = end === undefined ? to : Decimal.min(to, end);
    if (hi.gt(lo)) charge = charge.plus(hi.minus(lo).times(tier.rate));
  });
  return charge;
}

/** The rate of the tier a running total `x` has reached (the last tier starting at or below x). */
function rateAt(x: Decimal, tiers: readonly Tier[]): Decimal {
  let rate = Decimal.ZERO;
  for (const tier of tiers) {
    if (tier.start.lte(x)) rate = tier.rate;
    else break;
  }
  return rate;
}

/**
 * Volume pricing, incrementally: the whole period's quantity is priced at the rate of the tier
 * the period total reached, so this event's charge is total(used + q) - total(used) where
 * total(x) = x * rate(x). Summing the events of a period gives the volume price of its total.
 * (Crossing into a cheaper tier can make an event's charge negative: that is the rebate on
 * earlier usage that volume pricing implies.)
 */
export function volume(q: Decimal, used: Decimal, tiers: readonly Tier[]): Decimal {
  const total = (x: Decimal) => x.times(rateAt(x, tiers));
  return total(used.plus(q)).minus(total(used));
}
