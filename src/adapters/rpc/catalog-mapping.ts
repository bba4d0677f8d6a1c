import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Customer, CustomerLimits, CustomerLimitsInput, CustomerStatus as DomainCustomerStatus } from "../../domain/catalog/customer.js";
import type { Meter as DomainMeter } from "../../domain/catalog/meter.js";
import type { Model as DomainModel } from "../../domain/catalog/model.js";
import type { BillingInterval as DomainInterval, Plan as DomainPlan, PlanVersion as DomainPlanVersion, PlanVersionInput, RoutingPolicy as DomainRouting } from "../../domain/catalog/plan.js";
import type { MoneyInput } from "../../domain/catalog/input.js";
import type { FormulaSource } from "../../domain/formula/index.js";
import type { Decimal } from "../../domain/money/decimal.js";
import {
  BillingInterval,
  CustomerSchema,
  CustomerStatus,
  MeterSchema,
  ModelSchema,
  PlanSchema,
  PlanVersionSchema,
  RoutingPolicy,
  type Customer as ProtoCustomer,
  type CustomerLimits as ProtoLimits,
  type Meter as ProtoMeter,
  type Model as ProtoModel,
  type Plan as ProtoPlan,
  type PlanVersion as ProtoPlanVersion,
} from "../../gen/tollgate/v1/catalog_pb.js";
import { FormulaSchema, MoneySchema, type Formula, type Money } from "../../gen/tollgate/v1/common_pb.js";

/** Proto <-> domain for the catalog. Handlers stay thin: map in, call the use case, map out. */

export const time = (date: Date): Timestamp => timestampFromDate(date);
export const optionalTime = (ts: Timestamp | undefined): Date | undefined => (ts ? timestampDate(ts) : undefined);
export const money = (amount: Decimal, currency: string): Money => create(MoneySchema, { amount: amount.toString(), currency });
export const moneyInput = (m: Money | undefined): MoneyInput | undefined => (m ? { amount: m.amount, currency: m.currency } : undefined);
export const formulaInput = (f: Formula | undefined): FormulaSource | undefined => (f ? { expression: f.expression, rates: { ...f.rates } } : undefined);
const formula = (f: FormulaSource): Formula => create(FormulaSchema, { expression: f.expression, rates: { ...f.rates } });

export function meterOut(m: DomainMeter): ProtoMeter {
  return create(MeterSchema, { key: m.key, displayName: m.displayName, unit: m.unit });
}

export function modelOut(m: DomainModel): ProtoModel {
  return create(ModelSchema, {
    key: m.key,
    vendor: m.vendor,
    displayName: m.displayName,
    tags: [...m.tags],
    costVersions: m.costVersions.map((v) => ({ version: v.version, effectiveFrom: time(v.effectiveFrom), cost: formula(v.cost), currency: v.currency })),
  });
}

const intervalOut: Record<DomainInterval, BillingInterval> = { MONTHLY: BillingInterval.MONTHLY, DAILY: BillingInterval.DAILY };
const routingOut: Record<DomainRouting, RoutingPolicy> = {
  LOWEST_COST: RoutingPolicy.LOWEST_COST,
  HIGHEST_MARGIN: RoutingPolicy.HIGHEST_MARGIN,
  FIRST_ALLOWED: RoutingPolicy.FIRST_ALLOWED,
};

function planVersionOut(v: DomainPlanVersion, currency: string): ProtoPlanVersion {
  return create(PlanVersionSchema, {
    version: v.version,
    effectiveFrom: time(v.effectiveFrom),
    publishedAt: time(v.publishedAt),
    prices: v.prices.map((p) => ({ model: p.model, formula: formula(p.formula) })),
    recurringFee: money(v.recurringFee, currency),
    interval: intervalOut[v.interval],
    includedCredit: money(v.includedCredit, currency),
    overageLimit: money(v.overageLimit, currency),
    trialCredit: money(v.trialCredit, currency),
    routing: routingOut[v.routing],
  });
}

export function planOut(p: DomainPlan): ProtoPlan {
  return create(PlanSchema, {
    key: p.key,
    displayName: p.displayName,
    currency: p.currency,
    createdAt: time(p.createdAt),
    versions: p.versions.map((v) => planVersionOut(v, p.currency)),
  });
}

/** Unknown enum numbers are refused by the caller of these (they come back undefined). */
export function intervalIn(value: BillingInterval): DomainInterval | undefined | "invalid" {
  switch (value) {
    case BillingInterval.UNSPECIFIED:
      return undefined;
    case BillingInterval.MONTHLY:
      return "MONTHLY";
    case BillingInterval.DAILY:
      return "DAILY";
    default:
      return "invalid";
  }
}

export function routingIn(value: RoutingPolicy): DomainRouting | undefined | "invalid" {
  switch (value) {
    case RoutingPolicy.UNSPECIFIED:
      return undefined;
    case RoutingPolicy.LOWEST_COST:
      return "LOWEST_COST";
    case RoutingPolicy.HIGHEST_MARGIN:
      return "HIGHEST_MARGIN";
    case RoutingPolicy.FIRST_ALLOWED:
      return "FIRST_ALLOWED";
    default:
      return "invalid";
  }
}

export function statusIn(value: CustomerStatus): DomainCustomerStatus | undefined {
  switch (value) {
    case CustomerStatus.ACTIVE:
      return "ACTIVE";
    case CustomerStatus.SUSPENDED:
      return "SUSPENDED";
    default:
      return undefined;
  }
}

export function planVersionIn(v: ProtoPlanVersion, interval: DomainInterval | undefined, routing: DomainRouting | undefined): PlanVersionInput {
  return {
    effectiveFrom: optionalTime(v.effectiveFrom),
    prices: v.prices.map((p) => ({ model: p.model, formula: formulaInput(p.formula) })),
    recurringFee: moneyInput(v.recurringFee),
    interval,
    includedCredit: moneyInput(v.includedCredit),
    overageLimit: moneyInput(v.overageLimit),
    trialCredit: moneyInput(v.trialCredit),
    routing,
  };
}

export function limitsIn(l: ProtoLimits | undefined): CustomerLimitsInput | undefined {
  return l
    ? {
        dailySpendCap: moneyInput(l.dailySpendCap),
        monthlySpendCap: moneyInput(l.monthlySpendCap),
        maxConcurrentReservations: l.maxConcurrentReservations,
        maxAuthorizationsPerSecond: l.maxAuthorizationsPerSecond,
      }
    : undefined;
}

function limitsOut(l: CustomerLimits, currency: string): ProtoLimits {
  return {
    $typeName: "tollgate.v1.CustomerLimits",
    dailySpendCap: money(l.dailySpendCap, currency),
    monthlySpendCap: money(l.monthlySpendCap, currency),
    maxConcurrentReservations: l.maxConcurrentReservations,
    maxAuthorizationsPerSecond: l.maxAuthorizationsPerSecond,
  };
}

/** `currency` is the customer's current plan currency (its wallet currency). */
export function customerOut(c: Customer, currency: string): ProtoCustomer {
  return create(CustomerSchema, {
    customerId: c.id,
    displayName: c.displayName,
    subscriptions: c.subscriptions.map((s, i) => {
      const next = c.subscriptions[i + 1];
      return { planKey: s.planKey, startedAt: time(s.startedAt), ...(next ? { endedAt: time(next.startedAt) } : {}) };
    }),
    limits: limitsOut(c.limits, currency),
    status: c.status === "ACTIVE" ? CustomerStatus.ACTIVE : CustomerStatus.SUSPENDED,
    ...(c.trialEndsAt ? { trialEndsAt: time(c.trialEndsAt) } : {}),
    fingerprint: c.fingerprint,
    createdAt: time(c.createdAt),
  });
}
