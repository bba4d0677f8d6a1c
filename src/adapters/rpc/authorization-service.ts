import type { Duration } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { trace } from "@opentelemetry/api";
import type { Authorization, Authorize, DenyReason as AppDenyReason } from "../../application/authorization/authorize.js";
import type { Commit } from "../../application/authorization/commit.js";
import type { Extend, Release } from "../../application/authorization/extend-release.js";
import {
  Decision,
  DenyReason,
  type AuthorizationService,
  type AuthorizeRequest,
  type CommitRequest,
  type ExtendRequest,
  type ReleaseRequest,
} from "../../gen/tollgate/v1/authorization_pb.js";
import { money, moneyInput, optionalTime, time } from "./catalog-mapping.js";
import { tenantOf } from "./context.js";
import { unwrap } from "./errors.js";
import { balanceOut } from "./wallet-mapping.js";
import { recordRated } from "./usage-metrics.js";
import type { TollgateMetrics } from "../telemetry/metrics.js";

export type AuthorizationUseCases = {
  readonly authorize: Authorize;
  readonly commit: Commit;
  readonly extend: Extend;
  readonly release: Release;
};

const reasonOut: Record<AppDenyReason, DenyReason> = {
  INSUFFICIENT_FUNDS: DenyReason.INSUFFICIENT_FUNDS,
  SPEND_CAP_REACHED: DenyReason.SPEND_CAP_REACHED,
  TRIAL_LIMIT_REACHED: DenyReason.TRIAL_LIMIT_REACHED,
  CONCURRENCY_LIMIT_REACHED: DenyReason.CONCURRENCY_LIMIT_REACHED,
  CUSTOMER_SUSPENDED: DenyReason.CUSTOMER_SUSPENDED,
  MODEL_NOT_IN_PLAN: DenyReason.MODEL_NOT_IN_PLAN,
  RATE_LIMITED: DenyReason.RATE_LIMITED,
};

/** A protobuf Duration in milliseconds; undefined when unset. Fractions below a millisecond are dropped. */
const durationMs = (d: Duration | undefined): number | undefined => (d ? Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6) : undefined);

/** Decision, reason and routing as attributes of the call's span, for tracing and sampling. */
function annotate(a: Authorization): void {
  const span = trace.getActiveSpan();
  if (!span) return;
  span.setAttribute("tollgate.customer_id", a.customerId);
  span.setAttribute("tollgate.model", a.model);
  span.setAttribute("tollgate.decision", a.decision);
  if (a.reason) span.setAttribute("tollgate.deny_reason", a.reason);
  if (a.routing) span.setAttribute("tollgate.routing", a.routing);
}

/** tollgate.v1.AuthorizationService: Authorize, Commit, Extend, Release. */
export class AuthorizationServiceImpl implements ServiceImpl<typeof AuthorizationService> {
  constructor(
    private readonly useCases: AuthorizationUseCases,
    private readonly metrics?: TollgateMetrics,
  ) {}

  async authorize(req: AuthorizeRequest, ctx: HandlerContext) {
    const a = unwrap(
      await this.useCases.authorize.execute(tenantOf(ctx), {
        requestId: req.requestId,
        customerId: req.customerId,
        model: req.model,
        estimatedQuantities: { ...req.estimatedQuantities },
        maxCharge: moneyInput(req.maxCharge),
        ttlMs: durationMs(req.ttl),
        candidateModels: [...req.candidateModels],
        attributes: { ...req.attributes },
      }),
    );
    annotate(a);
    this.metrics?.authorizationDecisions.add(1, { decision: a.decision, reason: a.reason ?? "NONE" });
    return {
      decision: a.decision === "ALLOW" ? Decision.ALLOW : Decision.DENY,
      reason: a.reason ? reasonOut[a.reason] : DenyReason.UNSPECIFIED,
      reservationId: a.reservationId,
      reserved: money(a.reserved, a.currency),
      available: money(a.available, a.currency),
      ...(a.expiresAt ? { expiresAt: time(a.expiresAt) } : {}),
      model: a.model,
      ...(a.estimatedCost ? { estimatedCost: money(a.estimatedCost.amount, a.estimatedCost.currency) } : {}),
      message: a.message,
    };
  }

  async commit(req: CommitRequest, ctx: HandlerContext) {
    const c = unwrap(
      await this.useCases.commit.execute(tenantOf(ctx), {
        reservationId: req.reservationId,
        eventId: req.eventId,
        quantities: { ...req.quantities },
        occurredAt: optionalTime(req.occurredAt),
        attributes: { ...req.attributes },
      }),
    );
    const span = trace.getActiveSpan();
    span?.setAttribute("tollgate.customer_id", c.customerId);
    span?.setAttribute("tollgate.model", c.model);
    if (this.metrics && !c.duplicate) recordRated(this.metrics, c.model, { amount: c.charge, currency: c.currency }, { amount: c.cost, currency: c.costCurrency });
    return {
      charge: money(c.charge, c.currency),
      cost: money(c.cost, c.costCurrency),
      released: money(c.released, c.currency),
      overage: money(c.overage, c.currency),
      balance: balanceOut(c.customerId, c.balance),
    };
  }

  async extend(req: ExtendRequest, ctx: HandlerContext) {
    const e = unwrap(
      await this.useCases.extend.execute(tenantOf(ctx), {
        reservationId: req.reservationId,
        estimatedQuantities: { ...req.estimatedQuantities },
        additionalCharge: moneyInput(req.additionalCharge),
        ttlMs: durationMs(req.ttl),
        requestId: req.requestId,
      }),
    );
    return {
      decision: e.decision === "ALLOW" ? Decision.ALLOW : Decision.DENY,
      reason: e.reason ? reasonOut[e.reason] : DenyReason.UNSPECIFIED,
      reserved: money(e.reserved, e.currency),
      expiresAt: time(e.expiresAt),
      message: e.message,
    };
  }

  async release(req: ReleaseRequest, ctx: HandlerContext) {
    const r = unwrap(await this.useCases.release.execute(tenantOf(ctx), req.reservationId));
    return { released: money(r.released, r.balance.currency), balance: balanceOut(r.customerId, r.balance) };
  }
}
