import type { IngestOutcome } from "../../application/rating/ingest-usage.js";
import type { Decimal } from "../../domain/money/decimal.js";
import { asMetricValue, type TollgateMetrics } from "../telemetry/metrics.js";

/** Revenue, vendor cost and margin of rated usage, by model and currency. */
export function recordRated(m: TollgateMetrics, model: string, charge: { amount: Decimal; currency: string }, cost: { amount: Decimal; currency: string }): void {
  m.ratedCharge.add(asMetricValue(charge.amount), { model, currency: charge.currency });
  m.ratedCost.add(asMetricValue(cost.amount), { model, currency: cost.currency });
  if (charge.currency === cost.currency) m.ratedMargin.add(asMetricValue(charge.amount.minus(cost.amount)), { model, currency: charge.currency });
}

/** Outcomes of one IngestUsage call: counts by status, lag and rated amounts of the accepted. */
export function recordIngestion(m: TollgateMetrics, outcomes: readonly IngestOutcome[]): void {
  const counts = { ACCEPTED: 0, DUPLICATE: 0, REJECTED: 0 };
  for (const o of outcomes) {
    counts[o.status]++;
    if (o.status !== "ACCEPTED") continue;
    if (o.lagMs !== undefined) m.ingestLag.record(Math.max(0, o.lagMs) / 1000);
    if (o.model !== undefined && o.charge && o.cost) recordRated(m, o.model, o.charge, o.cost);
  }
  for (const [status, n] of Object.entries(counts)) if (n > 0) m.ingestEvents.add(n, { status });
}
