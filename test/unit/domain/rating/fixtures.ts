import { Decimal } from "../../../../src/domain/money/decimal.js";
import type { Customer, Subscription } from "../../../../src/domain/catalog/customer.js";
import type { CostVersion, Model } from "../../../../src/domain/catalog/model.js";
import type { BillingInterval, ModelPrice, Plan, PlanVersion } from "../../../../src/domain/catalog/plan.js";
import { compileFormula, type FormulaSource } from "../../../../src/domain/formula/index.js";
import { rate, type RatableEvent, type Rated } from "../../../../src/domain/rating/rate.js";
import { termsAt, type FormulaCompiler, type RatingRejection, type RatingTerms } from "../../../../src/domain/rating/terms.js";
import type { Result } from "../../../../src/domain/result.js";

/** Object mothers for the rating specifications: catalog entries built as plain values. */

export const at = (iso: string): Date => new Date(iso);
/** One millisecond before `date`: the last instant the previous terms are in force. */
export const justBefore = (date: Date): Date => new Date(date.getTime() - 1);

export const d = (text: string): Decimal => {
  const parsed = Decimal.parse(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

/** The tenant's meters in every example. */
export const meters: ReadonlySet<string> = new Set(["input_tokens", "output_tokens", "cached_input_tokens", "images"]);

/** Compiles stored formulas the way the pricing service does: `cost` is readable by prices only. */
export const compile: FormulaCompiler = (source, kind) => {
  const compiled = compileFormula(source, { meters, allowCost: kind === "price" });
  if (!compiled.ok) throw new Error(`${kind} formula ${JSON.stringify(source.expression)} does not compile: ${JSON.stringify(compiled.error)}`);
  return compiled.value;
};

export const formula = (expression: string, rates: Record<string, string> = {}): FormulaSource => ({ expression, rates });

export const tokenExpression = "input_tokens * rate_in + output_tokens * rate_out + cached_input_tokens * rate_cached";
/** GPT-4o list prices: $2.50 in, $10.00 out, $1.25 cached input per 1M tokens. */
export const gpt4oListCost = formula(tokenExpression, { rate_in: "0.0000025", rate_out: "0.00001", rate_cached: "0.00000125" });
/** Claude Sonnet 4 list prices: $3 in, $15 out, $0.30 cache read per 1M tokens. */
export const sonnet4ListCost = formula(tokenExpression, { rate_in: "0.000003", rate_out: "0.000015", rate_cached: "0.0000003" });

/** The start of the tenant's catalog: every model and plan below exists from here on unless a test says otherwise. */
export const catalogStart = at("2026-01-01T00:00:00Z");

export const costVersion = (version: number, effectiveFrom: Date, cost: FormulaSource): CostVersion => ({
  version,
  effectiveFrom,
  cost,
  currency: "USD",
  createdAt: effectiveFrom,
});

export const model = (key: string, costVersions: readonly CostVersion[]): Model => ({
  key,
  vendor: key.startsWith("claude") ? "Anthropic" : "OpenAI",
  displayName: key,
  tags: [],
  costVersions,
  createdAt: costVersions[0]?.effectiveFrom ?? catalogStart,
});

export const gpt4o = (costVersions: readonly CostVersion[] = [costVersion(1, catalogStart, gpt4oListCost)]): Model => model("gpt-4o", costVersions);
export const sonnet4 = (costVersions: readonly CostVersion[] = [costVersion(1, catalogStart, sonnet4ListCost)]): Model => model("claude-sonnet-4", costVersions);

export const price = (modelKey: string, source: FormulaSource): ModelPrice => ({ model: modelKey, formula: source });

export const planVersion = (version: number, effectiveFrom: Date, prices: readonly ModelPrice[], interval: BillingInterval = "MONTHLY"): PlanVersion => ({
  version,
  effectiveFrom,
  publishedAt: effectiveFrom,
  prices,
  recurringFee: Decimal.ZERO,
  interval,
  includedCredit: Decimal.ZERO,
  overageLimit: Decimal.ZERO,
  trialCredit: Decimal.ZERO,
  routing: "LOWEST_COST",
});

export const plan = (key: string, versions: readonly PlanVersion[]): Plan => ({ key, displayName: key, currency: "USD", createdAt: catalogStart, versions });

/** A plan with one version from the catalog start that prices every model with `source`. */
export const planPricingEverything = (key: string, source: FormulaSource, interval: BillingInterval = "MONTHLY"): Plan =>
  plan(key, [planVersion(1, catalogStart, [price("*", source)], interval)]);

export const plans = (...list: readonly Plan[]): ReadonlyMap<string, Plan> => new Map(list.map((p) => [p.key, p]));

export const customer = (subscriptions: readonly Subscription[]): Customer => ({
  id: "c-1",
  displayName: "C",
  status: "ACTIVE",
  trialEndsAt: undefined,
  fingerprint: "",
  limits: { dailySpendCap: Decimal.ZERO, monthlySpendCap: Decimal.ZERO, maxConcurrentReservations: 0, maxAuthorizationsPerSecond: 0 },
  subscriptions,
  createdAt: subscriptions[0]?.startedAt ?? catalogStart,
  updatedAt: subscriptions[subscriptions.length - 1]?.startedAt ?? catalogStart,
});

export const subscribedTo = (planKey: string, startedAt: Date = catalogStart): Subscription => ({ planKey, startedAt });

/** An event's quantities (decimal text by meter) and attributes. */
export const usage = (quantities: Record<string, string>, attributes: Record<string, string> = {}): RatableEvent => ({
  quantities: new Map(Object.entries(quantities).map(([meter, q]) => [meter, d(q)])),
  attributes: new Map(Object.entries(attributes)),
});

/** Token usage; a meter left out is not carried by the event (a formula reads it as 0). */
export const tokens = (input: string, output?: string, cached?: string): RatableEvent =>
  usage({ input_tokens: input, ...(output === undefined ? {} : { output_tokens: output }), ...(cached === undefined ? {} : { cached_input_tokens: cached }) });

export const noPeriodUsage: ReadonlyMap<string, Decimal> = new Map();
export const periodSoFar = (record: Record<string, string>): ReadonlyMap<string, Decimal> => new Map(Object.entries(record).map(([meter, q]) => [meter, d(q)]));

/** The terms in force, failing the test when there are none. */
export function termsFor(who: Customer, catalog: ReadonlyMap<string, Plan>, m: Model, when: Date): RatingTerms {
  const terms = termsAt(who, catalog, m, when, compile);
  if (!terms.ok) throw new Error(`expected terms at ${when.toISOString()}, got ${terms.error.reason}: ${terms.error.message}`);
  return terms.value;
}

/** The rejection termsAt gives, failing the test when it finds terms. */
export function termsRejection(who: Customer, catalog: ReadonlyMap<string, Plan>, m: Model, when: Date): RatingRejection {
  const terms = termsAt(who, catalog, m, when, compile);
  if (terms.ok) throw new Error(`expected no terms at ${when.toISOString()}, got plan ${terms.value.planKey} version ${terms.value.planVersion.version}`);
  return terms.error;
}

export function rated(result: Result<Rated, RatingRejection>): Rated {
  if (!result.ok) throw new Error(`expected a price, got ${result.error.reason}: ${result.error.message}`);
  return result.value;
}

export function rejection(result: Result<Rated, RatingRejection>): RatingRejection {
  if (result.ok) throw new Error(`expected a rejection, got charge ${result.value.charge.toString()}`);
  return result.error;
}

/** Charge, cost and margin as text: what a golden price is compared on. */
export const amounts = (r: Rated): { charge: string; cost: string; margin: string } => ({
  charge: r.charge.toString(),
  cost: r.cost.toString(),
  margin: r.charge.minus(r.cost).toString(),
});

/** Prices one event for a customer on one plan that prices every model with `source` (GPT-4o's list cost). */
export function priceOnPlan(source: FormulaSource, event: RatableEvent, period: ReadonlyMap<string, Decimal> = noPeriodUsage, when: Date = at("2026-03-10T12:00:00Z")): Rated {
  const terms = termsFor(customer([subscribedTo("pro")]), plans(planPricingEverything("pro", source)), gpt4o(), when);
  return rated(rate(event, terms, period));
}
