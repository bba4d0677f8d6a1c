import type { Customer } from "../catalog/customer.js";
import type { Decimal } from "../money/decimal.js";

/** Whether the customer is in its trial at `now`. */
export const inTrial = (customer: Customer, now: Date): boolean => customer.trialEndsAt !== undefined && customer.trialEndsAt.getTime() > now.getTime();

/**
 * Whether holding `amount` more would take the spend of the customers sharing a fingerprint
 * (charged plus held, the customer's own included) past the plan's trial credit. Zero credit
 * means no trial limit.
 */
export function exceedsTrialCredit(trialCredit: Decimal, groupSpend: Decimal, amount: Decimal): boolean {
  return trialCredit.isPositive() && groupSpend.plus(amount).gt(trialCredit);
}
