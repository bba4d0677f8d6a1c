import type { RoutingPolicy } from "../catalog/plan.js";
import type { Decimal } from "../money/decimal.js";

/** A model Authorize could use, with what the estimate would charge and cost on it. */
export type Candidate = { readonly model: string; readonly charge: Decimal; readonly cost: Decimal | undefined };

/**
 * Picks among candidates that passed every check (in the caller's order):
 * LOWEST_COST the smallest vendor cost, HIGHEST_MARGIN the largest charge minus cost,
 * FIRST_ALLOWED the first. Ties keep the caller's order. Candidates without a known cost (a hold
 * sized by max_charge alone) rank after those with one. Returns the choice and why, for traces.
 */
export function chooseModel(policy: RoutingPolicy, eligible: readonly Candidate[]): { readonly chosen: Candidate; readonly why: string } | undefined {
  const first = eligible[0];
  if (!first) return undefined;
  const listed = eligible.map((c) => `${c.model} (charge ${c.charge.toString()}, cost ${c.cost?.toString() ?? "unknown"})`).join(", ");
  if (policy === "FIRST_ALLOWED" || eligible.length === 1) return { chosen: first, why: `${policy}: first allowed of ${listed}` };
  const score = (c: Candidate): Decimal | undefined => (c.cost === undefined ? undefined : policy === "LOWEST_COST" ? c.cost.negate() : c.charge.minus(c.cost));
  let best = first;
  for (const c of eligible.slice(1)) {
    const a = score(c);
    const b = score(best);
    if (a !== undefined && (b === undefined || a.gt(b))) best = c;
  }
  return { chosen: best, why: `${policy}: ${best.model} of ${listed}` };
}
