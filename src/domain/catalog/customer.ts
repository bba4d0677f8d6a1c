import { assert } from "../assert.js";
import { limits } from "../limits.js";
import { Decimal } from "../money/decimal.js";
import { err, ok, type Result } from "../result.js";
import { violation, type FieldViolation } from "./field-error.js";
import { parseAmountIn, parseTimeField, type MoneyInput } from "./input.js";
import { parseCatalogKey, parseDisplayText, parseExternalId } from "./keys.js";
import { inForceAt } from "./timeline.js";

export type CustomerStatus = "ACTIVE" | "SUSPENDED";

/** Per-customer guard rails; zero means "no limit" for every field. Caps are in the plan currency. */
export type CustomerLimits = {
  readonly dailySpendCap: Decimal;
  readonly monthlySpendCap: Decimal;
  readonly maxConcurrentReservations: number;
  readonly maxAuthorizationsPerSecond: number;
};

export const noLimits: CustomerLimits = {
  dailySpendCap: Decimal.ZERO,
  monthlySpendCap: Decimal.ZERO,
  maxConcurrentReservations: 0,
  maxAuthorizationsPerSecond: 0,
};

/** One stretch of the customer's plan timeline: `planKey` from `startedAt` until the next one starts. */
export type Subscription = { readonly planKey: string; readonly startedAt: Date };

export type Customer = {
  readonly id: string;
  readonly displayName: string;
  readonly status: CustomerStatus;
  readonly trialEndsAt: Date | undefined;
  /** Groups customers that are likely one person (device, card, email hash) for trial limits. */
  readonly fingerprint: string;
  readonly limits: CustomerLimits;
  /** Ascending by start; never empty. */
  readonly subscriptions: readonly Subscription[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
};

export type CustomerLimitsInput = {
  readonly dailySpendCap: MoneyInput | undefined;
  readonly monthlySpendCap: MoneyInput | undefined;
  readonly maxConcurrentReservations: number;
  readonly maxAuthorizationsPerSecond: number;
};

export function validateLimits(field: string, input: CustomerLimitsInput | undefined, currency: string): Result<CustomerLimits, FieldViolation> {
  if (input === undefined) return ok(noLimits);
  const daily = parseAmountIn(`${field}.daily_spend_cap`, input.dailySpendCap, currency);
  if (!daily.ok) return daily;
  const monthly = parseAmountIn(`${field}.monthly_spend_cap`, input.monthlySpendCap, currency);
  if (!monthly.ok) return monthly;
  for (const [name, value] of [
    ["max_concurrent_reservations", input.maxConcurrentReservations],
    ["max_authorizations_per_second", input.maxAuthorizationsPerSecond],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) return err(violation(`${field}.${name}`, `must be zero (no limit) or a positive whole number, got ${value}`));
  }
  return ok({
    dailySpendCap: daily.value,
    monthlySpendCap: monthly.value,
    maxConcurrentReservations: input.maxConcurrentReservations,
    maxAuthorizationsPerSecond: input.maxAuthorizationsPerSecond,
  });
}

export type CreateCustomerInput = {
  readonly customerId: string;
  readonly displayName: string;
  readonly planKey: string;
  readonly startedAt: Date | undefined;
  readonly trialEndsAt: Date | undefined;
  readonly fingerprint: string;
  readonly limits: CustomerLimitsInput | undefined;
};

/** Field-level checks that need no catalog lookups. */
export function validateCustomerIdentity(input: CreateCustomerInput): Result<void, FieldViolation> {
  const id = parseExternalId("customer_id", input.customerId);
  if (!id.ok) return id;
  const displayName = parseDisplayText("display_name", input.displayName, limits.displayNameLengthMax);
  if (!displayName.ok) return displayName;
  const planKey = parseCatalogKey("plan_key", input.planKey);
  if (!planKey.ok) return planKey;
  const fingerprint = parseDisplayText("fingerprint", input.fingerprint, limits.fingerprintLengthMax);
  if (!fingerprint.ok) return fingerprint;
  return ok(undefined);
}

/** Builds a new customer on `planKey` (whose currency is `currency`) from validated identity fields. */
export function newCustomer(input: CreateCustomerInput, currency: string, now: Date): Result<Customer, FieldViolation> {
  const startedAt = parseTimeField("started_at", input.startedAt, now);
  if (!startedAt.ok) return startedAt;
  const trialEndsAt = input.trialEndsAt === undefined ? ok(undefined) : parseTimeField("trial_ends_at", input.trialEndsAt, now);
  if (!trialEndsAt.ok) return trialEndsAt;
  if (trialEndsAt.value && trialEndsAt.value.getTime() <= startedAt.value.getTime()) {
    return err(violation("trial_ends_at", "must be after started_at"));
  }
  const customerLimits = validateLimits("limits", input.limits, currency);
  if (!customerLimits.ok) return customerLimits;
  return ok({
    id: input.customerId,
    displayName: input.displayName || input.customerId,
    status: "ACTIVE",
    trialEndsAt: trialEndsAt.value,
    fingerprint: input.fingerprint,
    limits: customerLimits.value,
    subscriptions: [{ planKey: input.planKey, startedAt: startedAt.value }],
    createdAt: now,
    updatedAt: now,
  });
}

const sameLimits = (a: CustomerLimits, b: CustomerLimits): boolean =>
  a.dailySpendCap.eq(b.dailySpendCap) &&
  a.monthlySpendCap.eq(b.monthlySpendCap) &&
  a.maxConcurrentReservations === b.maxConcurrentReservations &&
  a.maxAuthorizationsPerSecond === b.maxAuthorizationsPerSecond;

/**
 * Is `candidate` (built from a CreateCustomer call) a retry of the call that created `existing`?
 * A defaulted start time ("now") cannot match exactly, so it is ignored when the caller left it unset.
 */
export function isCreateRetry(existing: Customer, candidate: Customer, startedAtGiven: boolean): boolean {
  const a = existing.subscriptions[0];
  const b = candidate.subscriptions[0];
  return (
    a !== undefined &&
    b !== undefined &&
    a.planKey === b.planKey &&
    (!startedAtGiven || a.startedAt.getTime() === b.startedAt.getTime()) &&
    existing.displayName === candidate.displayName &&
    existing.fingerprint === candidate.fingerprint &&
    (existing.trialEndsAt?.getTime() ?? null) === (candidate.trialEndsAt?.getTime() ?? null) &&
    sameLimits(existing.limits, candidate.limits)
  );
}

export type ChangePlanDecision =
  | { readonly kind: "append"; readonly subscription: Subscription }
  | { readonly kind: "unchanged" };

export type ChangePlanRejection =
  | { readonly kind: "invalid"; readonly violation: FieldViolation }
  | { readonly kind: "precondition"; readonly message: string };

/**
 * Moves the customer to `planKey` from `effectiveAt`. The timeline only grows at its end: a change
 * must start after the current subscription did (late events before it still rate on the old plan).
 * The wallet is in the plan's currency, so a change may not switch currency.
 */
export function decideChangePlan(
  customer: Customer,
  target: { readonly planKey: string; readonly currency: string },
  currentCurrency: string,
  effectiveAt: Date | undefined,
  now: Date,
): Result<ChangePlanDecision, ChangePlanRejection> {
  const at = parseTimeField("effective_at", effectiveAt, now);
  if (!at.ok) return err({ kind: "invalid", violation: at.error });
  const last = customer.subscriptions[customer.subscriptions.length - 1];
  if (last && last.planKey === target.planKey) {
    if (effectiveAt === undefined || last.startedAt.getTime() === at.value.getTime()) return ok({ kind: "unchanged" });
    return err({ kind: "precondition", message: `customer "${customer.id}" is already on plan "${target.planKey}" since ${last.startedAt.toISOString()}` });
  }
  if (last && at.value.getTime() <= last.startedAt.getTime()) {
    return err({
      kind: "invalid",
      violation: violation("effective_at", `must be after the current subscription's start (${last.startedAt.toISOString()})`),
    });
  }
  if (target.currency !== currentCurrency) {
    return err({
      kind: "precondition",
      message: `plan "${target.planKey}" is priced in ${target.currency} but the customer's wallet is in ${currentCurrency}; create a new customer for another currency`,
    });
  }
  return ok({ kind: "append", subscription: { planKey: target.planKey, startedAt: at.value } });
}

/** The subscription in force at `at`, if the customer had one then. */
export function subscriptionAt(customer: Customer, at: Date): Subscription | undefined {
  return inForceAt(customer.subscriptions, (s) => s.startedAt, at);
}

/** The current (last) subscription; every customer has one. */
export function currentSubscription(customer: Customer): Subscription {
  const last = customer.subscriptions[customer.subscriptions.length - 1];
  assert(last, `customer ${customer.id} has no subscription`);
  return last;
}
