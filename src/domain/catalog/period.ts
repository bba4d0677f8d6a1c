import type { BillingInterval } from "./plan.js";

/** A billing period: [start, end). */
export type BillingPeriod = { readonly start: Date; readonly end: Date };

/**
 * The billing period containing `at`: the calendar month in UTC for monthly plans, the UTC day
 * for daily ones. Periods are calendar-aligned for every customer, so allowances, period caps
 * and `period.<meter>` totals line up with invoices.
 */
export function billingPeriodAt(interval: BillingInterval, at: Date): BillingPeriod {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  if (interval === "DAILY") {
    const d = at.getUTCDate();
    return { start: new Date(Date.UTC(y, m, d)), end: new Date(Date.UTC(y, m, d + 1)) };
  }
  return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
}
