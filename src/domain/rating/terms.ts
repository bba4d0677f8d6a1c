import { subscriptionAt, type Customer } from "../catalog/customer.js";
import { costVersionSpanAt, type CostVersion, type Model } from "../catalog/model.js";
import { billingPeriodAt, type BillingPeriod } from "../catalog/period.js";
import { planVersionSpanAt, priceFor, type Plan, type PlanVersion } from "../catalog/plan.js";
import type { CompiledFormula, FormulaSource } from "../formula/index.js";
import { err, ok, type Result } from "../result.js";

/** Everything that prices one event: the terms in force when it happened. */
export type RatingTerms = {
  readonly planKey: string;
  readonly planVersion: PlanVersion;
  /** The plan's currency: the charge's. */
  readonly currency: string;
  readonly price: CompiledFormula;
  readonly costVersion: CostVersion;
  readonly cost: CompiledFormula;
  /** The billing period the event counts in, for `period.<meter>` (see periodFor). */
  readonly period: BillingPeriod;
};

/** Why an event cannot be priced. `reason` is stable; `message` is for people. */
export type RatingRejection = {
  readonly reason: "NO_SUBSCRIPTION" | "NO_PLAN_VERSION" | "MODEL_NOT_IN_PLAN" | "NO_COST_VERSION" | "FORMULA_FAILED" | "NEGATIVE_CHARGE";
  readonly message: string;
};

const reject = (reason: RatingRejection["reason"], message: string) => err<RatingRejection>({ reason, message });

/** Turns a stored formula into a runnable one; the caller caches (formulas were checked when published). */
export type FormulaCompiler = (source: FormulaSource, kind: "price" | "cost") => CompiledFormula;

/**
 * The billing period an event counts in: the calendar period of the plan version's interval
 * containing `at`, cut to the stretch of the subscription in force, so a plan change mid-period
 * starts the new plan's counters from zero and leaves the old plan's untouched.
 */
export function periodFor(customer: Customer, version: PlanVersion, at: Date): BillingPeriod {
  const calendar = billingPeriodAt(version.interval, at);
  const subs = customer.subscriptions;
  let start = calendar.start.getTime();
  let end = calendar.end.getTime();
  for (let i = 0; i < subs.length; i++) {
    const s = subs[i];
    if (!s || s.startedAt.getTime() > at.getTime()) break;
    start = Math.max(start, s.startedAt.getTime());
    const next = subs[i + 1];
    if (next && next.startedAt.getTime() > at.getTime()) end = Math.min(end, next.startedAt.getTime());
  }
  return { start: new Date(start), end: new Date(end) };
}

/**
 * The terms for `model` used by `customer` at `at`: the plan of the subscription in force then
 * (split-period rating across plan changes), that plan's version in force then, its price for
 * the model (exact key, else "*"), and the model's vendor cost version in force then.
 */
export function termsAt(customer: Customer, plans: ReadonlyMap<string, Plan>, model: Model, at: Date, compile: FormulaCompiler): Result<RatingTerms, RatingRejection> {
  const found = termsSpanAt(customer, plans, model, at, compile);
  return found.ok ? ok(found.value.terms) : found;
}

/** Terms with the stretch [from, until) of instants (epoch ms) at which termsAt gives the same. */
export type TermsSpan = { readonly terms: RatingTerms; readonly from: number; readonly until: number };

/**
 * termsAt, and how long its answer holds: every choice it makes (subscription, plan version,
 * cost version, billing period) is of an entry in force over a stretch of time, and the terms
 * are the same anywhere in all of those stretches at once. A caller pricing many events of one
 * customer and model can then look the terms up once rather than once an event.
 */
export function termsSpanAt(customer: Customer, plans: ReadonlyMap<string, Plan>, model: Model, at: Date, compile: FormulaCompiler): Result<TermsSpan, RatingRejection> {
  const subscription = subscriptionAt(customer, at);
  if (!subscription) return reject("NO_SUBSCRIPTION", `customer "${customer.id}" had no plan at ${at.toISOString()} (its first subscription starts later)`);
  const plan = plans.get(subscription.planKey);
  const version = plan && planVersionSpanAt(plan, at);
  if (!plan || !version) return reject("NO_PLAN_VERSION", `plan "${subscription.planKey}" had no published version in force at ${at.toISOString()}`);
  const price = priceFor(version.entry, model.key);
  if (!price) return reject("MODEL_NOT_IN_PLAN", `plan "${plan.key}" version ${version.entry.version} does not price model "${model.key}"`);
  const costVersion = costVersionSpanAt(model, at);
  if (!costVersion) return reject("NO_COST_VERSION", `model "${model.key}" had no vendor cost in force at ${at.toISOString()}`);
  // The period is already cut to the subscription's stretch (see periodFor).
  const period = periodFor(customer, version.entry, at);
  return ok({
    terms: {
      planKey: plan.key,
      planVersion: version.entry,
      currency: plan.currency,
      price: compile(price.formula, "price"),
      costVersion: costVersion.entry,
      cost: compile(costVersion.entry.cost, "cost"),
      period,
    },
    from: Math.max(period.start.getTime(), version.from, costVersion.from),
    until: Math.min(period.end.getTime(), version.until, costVersion.until),
  });
}
