import { compileFormula, type FormulaSource } from "../formula/index.js";
import { limits } from "../limits.js";
import { Decimal } from "../money/decimal.js";
import { err, ok, type Result } from "../result.js";
import { violation, type FieldViolation } from "./field-error.js";
import { formulaViolation } from "./formula-violation.js";
import { parseAmountIn, parseCurrencyField, parseTimeField, type MoneyInput } from "./input.js";
import { parseCatalogKey, parseDisplayText } from "./keys.js";
import { sameFormula } from "./model.js";
import { inForceSpanAt, type InForceSpan } from "./timeline.js";

export type BillingInterval = "MONTHLY" | "DAILY";
export type RoutingPolicy = "LOWEST_COST" | "HIGHEST_MARGIN" | "FIRST_ALLOWED";

/** The price of one model under a plan; `model = "*"` prices every model not listed. */
export type ModelPrice = { readonly model: string; readonly formula: FormulaSource };

export const anyModel = "*";

/**
 * The terms of a plan from `effectiveFrom` until the next version starts. Immutable once
 * published: a price change is a new version, so an event is always priced by the terms in
 * force when it happened. All amounts are in the plan's currency.
 */
export type PlanVersion = {
  readonly version: number;
  readonly effectiveFrom: Date;
  readonly publishedAt: Date;
  readonly prices: readonly ModelPrice[];
  readonly recurringFee: Decimal;
  readonly interval: BillingInterval;
  readonly includedCredit: Decimal;
  readonly overageLimit: Decimal;
  readonly trialCredit: Decimal;
  readonly routing: RoutingPolicy;
};

export type Plan = {
  readonly key: string;
  readonly displayName: string;
  readonly currency: string;
  readonly createdAt: Date;
  /** Ascending by version (and so by effectiveFrom). */
  readonly versions: readonly PlanVersion[];
};

export type CreatePlanInput = { readonly key: string; readonly displayName: string; readonly currency: string };

export function validatePlan(input: CreatePlanInput, now: Date): Result<Plan, FieldViolation> {
  const key = parseCatalogKey("key", input.key);
  if (!key.ok) return key;
  const displayName = parseDisplayText("display_name", input.displayName, limits.displayNameLengthMax);
  if (!displayName.ok) return displayName;
  const currency = parseCurrencyField("currency", input.currency);
  if (!currency.ok) return currency;
  return ok({ key: key.value, displayName: displayName.value || key.value, currency: currency.value, createdAt: now, versions: [] });
}

export function samePlanHeader(a: Plan, b: Plan): boolean {
  return a.key === b.key && a.displayName === b.displayName && a.currency === b.currency;
}

export type PlanVersionInput = {
  readonly effectiveFrom: Date | undefined;
  readonly prices: readonly { readonly model: string; readonly formula: FormulaSource | undefined }[];
  readonly recurringFee: MoneyInput | undefined;
  /** Undefined means the default (MONTHLY). */
  readonly interval: BillingInterval | undefined;
  readonly includedCredit: MoneyInput | undefined;
  readonly overageLimit: MoneyInput | undefined;
  readonly trialCredit: MoneyInput | undefined;
  /** Undefined means the default (LOWEST_COST). */
  readonly routing: RoutingPolicy | undefined;
};

export type PublishContext = {
  readonly meters: ReadonlySet<string>;
  /** Defined models, each with the currency of its latest cost version. */
  readonly models: ReadonlyMap<string, string>;
  readonly now: Date;
};

export type PublishDecision =
  | { readonly kind: "publish"; readonly version: PlanVersion }
  /** A retry of the publish that made the latest version: nothing new. */
  | { readonly kind: "unchanged" };

function validatePrices(input: PlanVersionInput, ctx: PublishContext, currency: string): Result<ModelPrice[], FieldViolation> {
  if (input.prices.length > limits.pricesPerPlanVersionMax) {
    return err(violation("version.prices", `must have at most ${limits.pricesPerPlanVersionMax} prices, got ${input.prices.length}`));
  }
  const seen = new Set<string>();
  const prices: ModelPrice[] = [];
  for (const [i, price] of input.prices.entries()) {
    const field = `version.prices[${i}]`;
    if (price.model !== anyModel) {
      const key = parseCatalogKey(`${field}.model`, price.model);
      if (!key.ok) return key;
      if (!ctx.models.has(price.model)) {
        return err(violation(`${field}.model`, `model "${price.model}" is not defined: define it with DefineModel first, or use "*"`));
      }
    }
    if (seen.has(price.model)) return err(violation(`${field}.model`, `model "${price.model}" is priced twice in this version`));
    seen.add(price.model);
    if (price.formula === undefined || price.formula.expression.trim() === "") {
      return err(violation(`${field}.formula.expression`, "is required"));
    }
    const compiled = compileFormula(price.formula, { meters: ctx.meters, allowCost: true });
    if (!compiled.ok) return err(formulaViolation(`${field}.formula`, compiled.error));
    const costCurrency = ctx.models.get(price.model);
    if (compiled.value.usesCost && costCurrency !== undefined && costCurrency !== currency) {
      return err(
        violation(`${field}.formula.expression`, `uses cost, but model "${price.model}" is costed in ${costCurrency} and this plan is in ${currency}; price it without cost`),
      );
    }
    prices.push({ model: price.model, formula: { expression: price.formula.expression, rates: { ...price.formula.rates } } });
  }
  return ok(prices);
}

function sameTerms(a: PlanVersion, b: PlanVersion): boolean {
  return (
    a.interval === b.interval &&
    a.routing === b.routing &&
    a.recurringFee.eq(b.recurringFee) &&
    a.includedCredit.eq(b.includedCredit) &&
    a.overageLimit.eq(b.overageLimit) &&
    a.trialCredit.eq(b.trialCredit) &&
    a.prices.length === b.prices.length &&
    a.prices.every((p, i) => {
      const q = b.prices[i];
      return q !== undefined && p.model === q.model && sameFormula(p.formula, q.formula);
    })
  );
}

/**
 * Validates a new version of `plan` and decides whether to publish it. Every formula is
 * compiled against the tenant's meters (and `cost`) so a bad price is refused here, naming the
 * price and the position, instead of failing when usage arrives.
 */
export function decidePublishPlanVersion(plan: Plan, input: PlanVersionInput, ctx: PublishContext): Result<PublishDecision, FieldViolation> {
  const effectiveFrom = parseTimeField("version.effective_from", input.effectiveFrom, ctx.now);
  if (!effectiveFrom.ok) return effectiveFrom;
  const prices = validatePrices(input, ctx, plan.currency);
  if (!prices.ok) return prices;
  const amounts: Record<string, Decimal> = {};
  for (const [name, field] of [
    ["recurringFee", "recurring_fee"],
    ["includedCredit", "included_credit"],
    ["overageLimit", "overage_limit"],
    ["trialCredit", "trial_credit"],
  ] as const) {
    const amount = parseAmountIn(`version.${field}`, input[name], plan.currency);
    if (!amount.ok) return amount;
    amounts[name] = amount.value;
  }
  const latest = plan.versions[plan.versions.length - 1];
  const version: PlanVersion = {
    version: (latest?.version ?? 0) + 1,
    effectiveFrom: effectiveFrom.value,
    publishedAt: ctx.now,
    prices: prices.value,
    recurringFee: amounts["recurringFee"] ?? Decimal.ZERO,
    interval: input.interval ?? "MONTHLY",
    includedCredit: amounts["includedCredit"] ?? Decimal.ZERO,
    overageLimit: amounts["overageLimit"] ?? Decimal.ZERO,
    trialCredit: amounts["trialCredit"] ?? Decimal.ZERO,
    routing: input.routing ?? "LOWEST_COST",
  };
  if (latest) {
    const retry = sameTerms(latest, version) && (input.effectiveFrom === undefined || latest.effectiveFrom.getTime() === version.effectiveFrom.getTime());
    if (retry) return ok({ kind: "unchanged" });
    if (version.effectiveFrom.getTime() <= latest.effectiveFrom.getTime()) {
      return err(
        violation(
          "version.effective_from",
          `must be after version ${latest.version}'s start (${latest.effectiveFrom.toISOString()}): published versions are immutable`,
        ),
      );
    }
  }
  return ok({ kind: "publish", version });
}

/** The plan version in force at `at`, if any was. */
export function planVersionAt(plan: Plan, at: Date): PlanVersion | undefined {
  return planVersionSpanAt(plan, at)?.entry;
}

/** The plan version in force at `at` and the stretch of time it is in force (see inForceSpanAt). */
export function planVersionSpanAt(plan: Plan, at: Date): InForceSpan<PlanVersion> | undefined {
  return inForceSpanAt(plan.versions, (v) => v.effectiveFrom, at);
}

/** The price a version sets for `model`: its own entry, else the `*` entry, else none. */
export function priceFor(version: PlanVersion, model: string): ModelPrice | undefined {
  return version.prices.find((p) => p.model === model) ?? version.prices.find((p) => p.model === anyModel);
}
