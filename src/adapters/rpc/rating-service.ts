import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { IngestUsage } from "../../application/rating/ingest-usage.js";
import type { QuotePrice } from "../../application/rating/quote-price.js";
import type { GetUsageSummary, ListRatedEvents } from "../../application/rating/usage-queries.js";
import type { VerifyEventLog } from "../../application/rating/verify-event-log.js";
import type {
  GetUsageSummaryRequest,
  IngestUsageRequest,
  ListRatedEventsRequest,
  QuotePriceRequest,
  RatingService,
} from "../../gen/tollgate/v1/rating_pb.js";
import { money, optionalTime } from "./catalog-mapping.js";
import { tenantOf } from "./context.js";
import { unwrap } from "./errors.js";
import { groupByIn, ingestResultOut, margin, ratedEventOut, summaryRowOut, usageEventIn } from "./rating-mapping.js";
import { recordIngestion } from "./usage-metrics.js";
import type { TollgateMetrics } from "../telemetry/metrics.js";

export type RatingUseCases = {
  readonly quotePrice: QuotePrice;
  readonly ingestUsage: IngestUsage;
  readonly getUsageSummary: GetUsageSummary;
  readonly listRatedEvents: ListRatedEvents;
  readonly verifyEventLog: VerifyEventLog;
};

/** tollgate.v1.RatingService: quotes, ingestion, usage summaries, the rated event log and its verification. */
export class RatingServiceImpl implements ServiceImpl<typeof RatingService> {
  constructor(
    private readonly useCases: RatingUseCases,
    private readonly metrics?: TollgateMetrics,
  ) {}

  async quotePrice(req: QuotePriceRequest, ctx: HandlerContext) {
    const q = unwrap(
      await this.useCases.quotePrice.execute(tenantOf(ctx), {
        customerId: req.customerId,
        model: req.model,
        quantities: { ...req.quantities },
        attributes: { ...req.attributes },
        occurredAt: optionalTime(req.occurredAt),
      }),
    );
    const m = margin({ amount: q.charge, currency: q.currency }, { amount: q.cost, currency: q.costCurrency });
    return {
      charge: money(q.charge, q.currency),
      cost: money(q.cost, q.costCurrency),
      ...(m ? { margin: m } : {}),
      planKey: q.planKey,
      planVersion: q.planVersion,
      costVersion: q.costVersion,
    };
  }

  async ingestUsage(req: IngestUsageRequest, ctx: HandlerContext) {
    const outcomes = unwrap(await this.useCases.ingestUsage.execute(tenantOf(ctx), req.events.map(usageEventIn)));
    if (this.metrics) recordIngestion(this.metrics, outcomes);
    return { results: outcomes.map(ingestResultOut) };
  }

  async getUsageSummary(req: GetUsageSummaryRequest, ctx: HandlerContext) {
    const summary = unwrap(
      await this.useCases.getUsageSummary.execute(tenantOf(ctx), {
        customerId: req.customerId,
        from: optionalTime(req.from),
        to: optionalTime(req.to),
        groupBy: groupByIn(req.groupBy),
      }),
    );
    const totals = summary.totals.map(summaryRowOut);
    const only = summary.totals.length === 1 ? totals[0] : undefined;
    const eventCount = summary.totals.reduce((n, t) => n + t.eventCount, 0);
    return {
      rows: summary.rows.map(summaryRowOut),
      ...(only?.charge ? { totalCharge: only.charge } : {}),
      ...(only?.cost ? { totalCost: only.cost } : {}),
      ...(only?.margin ? { totalMargin: only.margin } : {}),
      eventCount: BigInt(eventCount),
      totalsByCurrency: totals,
    };
  }

  async listRatedEvents(req: ListRatedEventsRequest, ctx: HandlerContext) {
    const page = unwrap(
      await this.useCases.listRatedEvents.execute(tenantOf(ctx), {
        customerId: req.customerId,
        from: optionalTime(req.from),
        to: optionalTime(req.to),
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      }),
    );
    return { events: page.events.map(ratedEventOut), nextPageToken: page.nextPageToken };
  }

  async verifyEventLog(_req: unknown, ctx: HandlerContext) {
    const v = await this.useCases.verifyEventLog.execute(tenantOf(ctx));
    return { intact: v.intact, verifiedEvents: BigInt(v.verifiedEvents), firstBrokenEventId: v.firstBrokenEventId, problem: v.problem };
  }
}
