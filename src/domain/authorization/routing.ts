import type { RoutingPolicy } from "../catalog/plan.js";
import type { Decimal } from "../money/decimal.js";

/**
 * A model Authorize could use, with what the estimate would charge (in the plan's currency) and
 * cost (in the currency of the model's cost version, which may be another).
 */
export type Candidate = {
  readonly model: string;
  readonly charge: Decimal;
  readonly cost: Decimal | undefined;
  readonly costCurrency: string;
};

/**
 * Picks among candidates that passed every check (in the caller's order):
 * LOWEST_COST the smallest vendor cost, HIGHEST_MARGIN the largest charge minus cost,
 * FIRST_ALLOWED the first. Ties keep the caller's order. Amounts in different currencies are
 * never compared (there is no exchange rate here): LOWEST_COST compares the costs in the
 * currency of the first candidate with a known cost, HIGHEST_MARGIN only margins whose cost is
 * in the charge's currency (`chargeCurrency`). Candidates whose cost is unknown (a hold sized by
 * max_charge alone) or not comparable rank after the others. Returns the choice and why, for
 * traces.
 */
export function chooseModel(
  policy: RoutingPolicy,
  eligible: readonly Candidate[],
  chargeCurrency: string,
): { readonly chosen: Candidate; readonly why: string } | undefined {
  const first = eligible[0];
  if (!first) return undefined;
  const listed = eligible.map((c) => `${c.model} (charge ${c.charge.toString()} ${chargeCurrency}, cost ${c.cost === undefined ? "unknown" : `${c.cost.toString()} ${c.costCurrency}`})`).join(", ");
  if (policy === "FIRST_ALLOWED" || eligible.length === 1) return { chosen: first, why: `${policy}: first allowed of ${listed}` };
  const compared = policy === "LOWEST_COST" ? eligible.find((c) => c.cost !== undefined)?.costCurrency : chargeCurrency;
  const score = (c: Candidate): Decimal | undefined => {
    if (c.cost === undefined || c.costCurrency !== compared) return undefined;
    return policy === "LOWEST_COST" ? c.cost.negate() : c.charge.minus(c.cost);
  };
  let best = first;
  for (const c of eligible.slice(1)) {
    const a = score(c);
    const b = score(best);
    if (a !== undefined && (b === undefined || a.gt(b))) best = c;
  }
  const skipped = eligible.filter((c) => c.cost !== undefined && c.costCurrency !== compared).map((c) => c.model);
  const note = skipped.length > 0 ? `; not compared (cost in another currency than ${compared ?? chargeCurrency}): ${skipped.join(", ")}` : "";
  return { chosen: best, why: `${policy}: ${best.model} of ${listed}${note}` };
}
