import { create } from "@bufbuild/protobuf";
import type { Amount, IngestOutcome } from "../../application/rating/ingest-usage.js";
import type { ChainedRecord, GroupBy as DomainGroupBy, SummaryRow } from "../../application/ports/usage-log.js";
import type { UsageEventInput } from "../../domain/rating/usage-event.js";
import { GroupBy, IngestResultSchema, IngestStatus, RatedEventSchema, UsageSummaryRowSchema, type IngestResult, type RatedEvent, type UsageEvent, type UsageSummaryRow } from "../../gen/tollgate/v1/rating_pb.js";
import type { Money } from "../../gen/tollgate/v1/common_pb.js";
import { money, optionalTime, time } from "./catalog-mapping.js";

/** Proto <-> application for RatingService. */

export const usageEventIn = (e: UsageEvent): UsageEventInput => ({
  eventId: e.eventId,
  customerId: e.customerId,
  model: e.model,
  occurredAt: optionalTime(e.occurredAt),
  quantities: { ...e.quantities },
  attributes: { ...e.attributes },
});

const statusOut = { ACCEPTED: IngestStatus.ACCEPTED, DUPLICATE: IngestStatus.DUPLICATE, REJECTED: IngestStatus.REJECTED } as const;
const amountOut = (a: Amount | undefined): Money | undefined => (a ? money(a.amount, a.currency) : undefined);

export function ingestResultOut(o: IngestOutcome): IngestResult {
  const charge = amountOut(o.charge);
  const cost = amountOut(o.cost);
  return create(IngestResultSchema, { eventId: o.eventId, status: statusOut[o.status], error: o.error, ...(charge ? { charge } : {}), ...(cost ? { cost } : {}) });
}

export function groupByIn(g: GroupBy): DomainGroupBy {
  switch (g) {
    case GroupBy.METER:
      return "METER";
    case GroupBy.DAY:
      return "DAY";
    case GroupBy.CUSTOMER:
      return "CUSTOMER";
    default:
      return "MODEL";
  }
}

/** Margin only exists where charge and cost share a currency. */
export function margin(charge: Amount, cost: Amount): Money | undefined {
  return charge.currency === cost.currency ? money(charge.amount.minus(cost.amount), charge.currency) : undefined;
}

export function summaryRowOut(r: SummaryRow): UsageSummaryRow {
  const m = margin({ amount: r.charge, currency: r.currency }, { amount: r.cost, currency: r.costCurrency });
  return create(UsageSummaryRowSchema, {
    key: r.key,
    quantities: Object.fromEntries([...r.quantities.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.toString()])),
    charge: money(r.charge, r.currency),
    cost: money(r.cost, r.costCurrency),
    eventCount: BigInt(r.eventCount),
    ...(m ? { margin: m } : {}),
  });
}

export function ratedEventOut({ record: r, seq, hash }: ChainedRecord): RatedEvent {
  const m = margin({ amount: r.charge, currency: r.currency }, { amount: r.cost, currency: r.costCurrency });
  return create(RatedEventSchema, {
    eventId: r.eventId,
    customerId: r.customerId,
    model: r.model,
    occurredAt: time(r.occurredAt),
    receivedAt: time(r.receivedAt),
    quantities: { ...r.quantities },
    attributes: { ...r.attributes },
    charge: money(r.charge, r.currency),
    cost: money(r.cost, r.costCurrency),
    planKey: r.planKey,
    planVersion: r.planVersion,
    costVersion: r.costVersion,
    reservationId: r.reservationId ?? "",
    chainSeq: BigInt(seq),
    hash,
    ...(m ? { margin: m } : {}),
  });
}
