import { violation } from "../../domain/catalog/field-error.js";
import { parseAmountIn, type MoneyInput } from "../../domain/catalog/input.js";
import { parseCatalogKey, parseExternalId } from "../../domain/catalog/keys.js";
import type { Customer } from "../../domain/catalog/customer.js";
import type { PlanVersion } from "../../domain/catalog/plan.js";
import { reservationIdFor } from "../../domain/authorization/reservation-id.js";
import { chooseModel, type Candidate } from "../../domain/authorization/routing.js";
import { exceedsTrialCredit, inTrial } from "../../domain/authorization/trial.js";
import { Decimal } from "../../domain/money/decimal.js";
import { rate } from "../../domain/rating/rate.js";
import type { RatingTerms } from "../../domain/rating/terms.js";
import { canonicalAttributes, canonicalQuantities, parseAttributes, parseQuantities } from "../../domain/rating/usage-event.js";
import { err, ok, type Result } from "../../domain/result.js";
import { decideAndEvolve, guardRefusal, type HoldGuards, type WalletCommand } from "../../domain/wallet/wallet.decide.js";
import { available, closedHold, periodUsageOf, type Hold, type Wallet } from "../../domain/wallet/wallet.js";
import { alreadyExists, invalid, notFound, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import type { StoredHold, WalletStore } from "../ports/wallet-store.js";
import type { FormulaCache } from "../rating/formula-cache.js";
import { alignWallet } from "../wallet/wallet-access.js";
import { PricingContext } from "../rating/pricing.js";
import type { WalletWriter } from "../wallet/wallet-writer.js";
import type { CustomerWallet } from "../wallet/wallet-access.js";
import type { AnswerCache } from "./answer-cache.js";
import type { RateLimiter } from "./rate-limiter.js";
import type { TrialGroups } from "./trial-groups.js";

export type DenyReason =
  | "INSUFFICIENT_FUNDS"
  | "SPEND_CAP_REACHED"
  | "TRIAL_LIMIT_REACHED"
  | "CONCURRENCY_LIMIT_REACHED"
  | "CUSTOMER_SUSPENDED"
  | "MODEL_NOT_IN_PLAN"
  | "RATE_LIMITED";

export type AuthorizeInput = {
  readonly requestId: string;
  readonly customerId: string;
  readonly model: string;
  readonly estimatedQuantities: Readonly<Record<string, string>>;
  readonly maxCharge: MoneyInput | undefined;
  readonly ttlMs: number | undefined;
  readonly candidateModels: readonly string[];
  readonly attributes: Readonly<Record<string, string>>;
};

export type Authorization = {
  readonly decision: "ALLOW" | "DENY";
  readonly reason: DenyReason | undefined;
  readonly reservationId: string;
  readonly reserved: Decimal;
  readonly available: Decimal;
  readonly currency: string;
  readonly expiresAt: Date | undefined;
  readonly model: string;
  readonly estimatedCost: { readonly amount: Decimal; readonly currency: string } | undefined;
  readonly message: string;
  /** Why this model was chosen, when there were candidates (for traces). */
  readonly routing: string;
  readonly customerId: string;
};

export const ttlDefaultMs = 5 * 60_000;
export const ttlMaxMs = 24 * 3_600_000;
const ttlMinMs = 1000;

/** Checks a hold's lifetime; unset means the default. */
export function parseTtl(field: string, ttlMs: number | undefined): Result<number, AppError> {
  if (ttlMs === undefined) return ok(ttlDefaultMs);
  if (!Number.isFinite(ttlMs) || ttlMs < ttlMinMs || ttlMs > ttlMaxMs) return invalid(violation(field, `must be between 1 second and 24 hours, got ${ttlMs / 1000} s`));
  return ok(ttlMs);
}

type Priced = { readonly model: string; readonly terms: RatingTerms };
type Decision =
  | { readonly kind: "deny"; readonly reason: DenyReason; readonly message: string; readonly available: Decimal }
  | { readonly kind: "reserve"; readonly chosen: Candidate; readonly why: string; readonly expiresAt: Date }
  | { readonly kind: "open-hold"; readonly hold: Hold; readonly available: Decimal }
  | { readonly kind: "closed-hold" }
  | { readonly kind: "formula-failed"; readonly message: string };

/**
 * The call before a model call: checks policy in order (customer status, model in plan, trial
 * limit, spend caps, open holds, rate), picks the model under the plan's routing policy among
 * the candidates the plan prices and the wallet can fund, and places the hold. Everything that
 * depends on the wallet is decided inside the wallet's single writer, in order with every other
 * write to it, so concurrent authorizations cannot together overdraw it or pass a cap. No
 * database round trip of its own: the catalog and the wallet are in memory, and the hold is the
 * wallet's group-committed write. Idempotent by request_id.
 */
export class Authorize {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly formulas: FormulaCache,
    private readonly writer: WalletWriter,
    private readonly store: WalletStore,
    private readonly limiter: RateLimiter,
    private readonly answers: AnswerCache<Authorization>,
    private readonly trials: TrialGroups,
    private readonly clock: Clock,
  ) {}

  async execute(tenantId: string, input: AuthorizeInput): Promise<Result<Authorization, AppError>> {
    const requestId = parseExternalId("request_id", input.requestId);
    if (!requestId.ok) return invalid(requestId.error);
    const customerId = parseExternalId("customer_id", input.customerId);
    if (!customerId.ok) return invalid(customerId.error);
    const ttl = parseTtl("ttl", input.ttlMs);
    if (!ttl.ok) return ttl;
    const models: string[] = [];
    for (const [field, name] of [["model", input.model] as const, ...input.candidateModels.map((m, i) => [`candidate_models[${i}]`, m] as const)]) {
      if (name === "" && field === "model") continue;
      const key = parseCatalogKey(field, name);
      if (!key.ok) return invalid(key.error);
      if (!models.includes(key.value)) models.push(key.value);
    }
    if (models.length === 0) return invalid(violation("model", "is required (or give candidate_models)"));
    const ctx = await PricingContext.load(this.catalog, this.formulas, tenantId);
    const quantities = parseQuantities("estimated_quantities", input.estimatedQuantities, ctx.meters);
    if (!quantities.ok) return invalid(quantities.error);
    const attributes = parseAttributes("attributes", input.attributes);
    if (!attributes.ok) return invalid(attributes.error);
    const customer = await ctx.customer(customerId.value);
    if (!customer) return notFound("customer", customerId.value);
    for (const m of models) if (!ctx.model(m)) return notFound("model", m);
    const now = this.clock.now();
    const wallet = ctx.walletOf(customer, now);
    const maxChargeGiven = input.maxCharge !== undefined && input.maxCharge.amount !== "";
    const maxCharge = maxChargeGiven ? parseAmountIn("max_charge", input.maxCharge, wallet.currency) : ok(undefined);
    if (!maxCharge.ok) return invalid(maxCharge.error);
    if (quantities.value.size === 0 && maxCharge.value === undefined) {
      return invalid(violation("estimated_quantities", "give the usage you expect, or max_charge, to size the hold"));
    }

    const cacheKey = `${tenantId}\u0000${customer.id}\u0000${requestId.value}`;
    const fingerprint = JSON.stringify([models, canonicalQuantities(quantities.value), maxCharge.value?.toString() ?? null, canonicalAttributes(attributes.value)]);
    const cached = this.answers.get(cacheKey);
    if (cached) {
      return cached.fingerprint === fingerprint ? ok(cached.value) : alreadyExists("request", requestId.value, `request_id "${requestId.value}" was used for a different authorization`);
    }
    const reservationId = reservationIdFor(customer.id, requestId.value);
    const base = { reservationId, currency: wallet.currency, customerId: customer.id, routing: "" };
    const deny = (reason: DenyReason, message: string, availableNow: Decimal, model = models[0] ?? ""): Authorization => ({
      ...base,
      decision: "DENY",
      reason,
      reservationId: "",
      reserved: Decimal.ZERO,
      available: availableNow,
      expiresAt: undefined,
      model,
      estimatedCost: undefined,
      message,
    });
    const remember = (a: Authorization): Result<Authorization, AppError> => {
      this.answers.set(cacheKey, fingerprint, a);
      return ok(a);
    };

    if (customer.status === "SUSPENDED") return remember(deny("CUSTOMER_SUSPENDED", `customer "${customer.id}" is suspended`, available(await this.writer.current(wallet.key))));

    const priced: Priced[] = [];
    const unpriced: string[] = [];
    for (const m of models) {
      const model = ctx.model(m);
      const terms = model && ctx.termsAt(customer, model, now);
      if (terms?.ok) priced.push({ model: m, terms: terms.value });
      else unpriced.push(terms ? terms.error.message : `model "${m}" not found`);
    }
    const planVersion = priced[0]?.terms.planVersion;
    if (!planVersion) return remember(deny("MODEL_NOT_IN_PLAN", unpriced.join("; "), available(await this.writer.current(wallet.key))));

    const decideIn = async (othersSpend: Decimal | undefined) => {
      let decision: Decision | undefined;
      const job = await this.writer.run(wallet.key, (w) => {
        decision = this.decide(w, {
          customer,
          planVersion,
          priced,
          quantities: quantities.value,
          attributes: attributes.value,
          maxCharge: maxCharge.value,
          othersSpend,
          reservationId,
          limitKey: `${tenantId}\u0000${customer.id}`,
          wallet,
          now,
          ttlMs: ttl.value,
        });
        if (decision.kind !== "reserve") return { commands: [], records: [], observe: available };
        const commands: WalletCommand[] = alignWallet(w, wallet, now);
        commands.push({
          type: "ReserveFunds",
          reservationId,
          amount: decision.chosen.charge,
          expiresAt: decision.expiresAt,
          model: decision.chosen.model,
          guards: guardsOf(customer),
          now,
        });
        return { commands, records: [], observe: available };
      });
      return { job, decision };
    };

    const trialCredit = planVersion.trialCredit;
    const trial = inTrial(customer, now) && trialCredit.isPositive();
    const { job, decision } = trial
      ? await this.trials.run(tenantId, customer, decideIn)
      : await decideIn(undefined);

    if (job.kind === "already-recorded" || decision?.kind === "closed-hold") {
      // The hold exists but the wallet no longer remembers it: the first answer is the stored hold.
      const stored = await this.store.findHold(wallet.key, reservationId);
      if (!stored) return err({ kind: "UNAVAILABLE", message: "the authorization is being recorded by another call; retry" });
      return remember(allowFromHold(base, stored, available(await this.writer.current(wallet.key))));
    }
    if (!decision) throw new Error("the wallet writer answered without deciding");
    if (decision.kind === "formula-failed") return err({ kind: "FAILED_PRECONDITION", message: decision.message });
    if (decision.kind === "deny") return remember(deny(decision.reason, decision.message, decision.available));
    if (decision.kind === "open-hold") {
      return remember(allowFromHold(base, { ...decision.hold, at: now }, decision.available));
    }
    if (!job.result.ok) {
      // The writer re-checks every guard on the same state, so this is a race with a retry.
      if (job.result.error === "RESERVATION_ID_CONFLICT") return alreadyExists("request", requestId.value, `request_id "${requestId.value}" already holds a different amount`);
      return remember(deny(denyReasonOf(job.result.error), `the hold was refused: ${job.result.error}`, available(await this.writer.current(wallet.key))));
    }
    const chosen = decision.chosen;
    const pricedChosen = priced.find((p) => p.model === chosen.model);
    return remember({
      ...base,
      decision: "ALLOW",
      reason: undefined,
      reserved: chosen.charge,
      available: job.result.value.view,
      expiresAt: decision.expiresAt,
      model: chosen.model,
      estimatedCost: chosen.cost === undefined || !pricedChosen ? undefined : { amount: chosen.cost, currency: pricedChosen.terms.costVersion.currency },
      message: `held ${chosen.charge.toString()} ${wallet.currency} for ${chosen.model}`,
      routing: models.length > 1 ? decision.why : "",
    });
  }

  /** The decision against the wallet as it is, in the order the policy chain checks. Pure apart from the rate limiter. */
  private decide(
    current: Wallet,
    a: {
      customer: Customer;
      planVersion: PlanVersion;
      priced: readonly Priced[];
      quantities: ReadonlyMap<string, Decimal>;
      attributes: ReadonlyMap<string, string>;
      maxCharge: Decimal | undefined;
      othersSpend: Decimal | undefined;
      reservationId: string;
      limitKey: string;
      wallet: CustomerWallet;
      now: Date;
      ttlMs: number;
    },
  ): Decision {
    const open = current.holds.get(a.reservationId);
    if (open) return { kind: "open-hold", hold: open, available: available(current) };
    if (closedHold(current, a.reservationId)) return { kind: "closed-hold" };
    // Checks see the wallet as it will be once in line with the plan (opened, its overage
    // allowance the current one).
    const w = aligned(current, alignWallet(current, a.wallet, a.now));
    let remaining: Candidate[] = [];
    for (const p of a.priced) {
      const estimate = rate({ quantities: a.quantities, attributes: a.attributes }, p.terms, periodUsageOf(w, p.terms.period.start));
      if (!estimate.ok) {
        if (a.maxCharge === undefined) return { kind: "formula-failed", message: `the estimate cannot be priced: ${estimate.error.message}` };
        remaining.push({ model: p.model, charge: a.maxCharge, cost: undefined, costCurrency: p.terms.costVersion.currency });
        continue;
      }
      remaining.push({
        model: p.model,
        charge: a.maxCharge ?? estimate.value.charge,
        cost: a.quantities.size > 0 ? estimate.value.cost : undefined,
        costCurrency: p.terms.costVersion.currency,
      });
    }
    const cheapest = () => remaining.reduce((x, y) => (y.charge.lt(x.charge) ? y : x));
    if (a.othersSpend !== undefined) {
      const groupSpend = a.othersSpend.plus(w.chargedTotal).plus(w.reserved);
      const fits = remaining.filter((c) => !exceedsTrialCredit(a.planVersion.trialCredit, groupSpend, c.charge));
      if (fits.length === 0) {
        return { kind: "deny", reason: "TRIAL_LIMIT_REACHED", available: available(w), message: `the trial credit of ${a.planVersion.trialCredit.toString()} is used up: ${groupSpend.toString()} spent or held, ${cheapest().charge.toString()} more needed` };
      }
      remaining = fits;
    }
    const guards = guardsOf(a.customer);
    const capped = remaining.filter((c) => guardRefusal({ ...guards, maxOpenHolds: 0 }, w, c.charge, a.now, true) === undefined);
    if (capped.length === 0) {
      return { kind: "deny", reason: "SPEND_CAP_REACHED", available: available(w), message: `a spend cap would be exceeded by ${cheapest().charge.toString()} more (caps count what is charged and what is held)` };
    }
    remaining = capped;
    if (guards.maxOpenHolds > 0 && w.holds.size + 1 > guards.maxOpenHolds) {
      return { kind: "deny", reason: "CONCURRENCY_LIMIT_REACHED", available: available(w), message: `${w.holds.size} holds are open, the limit is ${guards.maxOpenHolds}` };
    }
    if (!this.limiter.tryTake(a.limitKey, a.customer.limits.maxAuthorizationsPerSecond)) {
      return { kind: "deny", reason: "RATE_LIMITED", available: available(w), message: `more than ${a.customer.limits.maxAuthorizationsPerSecond} authorizations per second` };
    }
    const availableNow = available(w);
    const funded = remaining.filter((c) => c.charge.lte(availableNow));
    if (funded.length === 0) {
      return { kind: "deny", reason: "INSUFFICIENT_FUNDS", available: availableNow, message: `insufficient funds: ${cheapest().charge.toString()} needed, ${availableNow.toString()} available` };
    }
    const choice = chooseModel(a.planVersion.routing, funded, a.wallet.currency);
    if (!choice) throw new Error("no candidate left after the checks");
    return { kind: "reserve", chosen: choice.chosen, why: choice.why, expiresAt: new Date(a.now.getTime() + a.ttlMs) };
  }
}

/** The customer's limits as the wallet enforces them on a new hold. */
export const guardsOf = (c: Customer): HoldGuards => ({
  dailySpendCap: c.limits.dailySpendCap,
  monthlySpendCap: c.limits.monthlySpendCap,
  maxOpenHolds: c.limits.maxConcurrentReservations,
});

/** The wallet as it would be after `commands` (which bring it in line with the plan). */
function aligned(w: Wallet, commands: readonly WalletCommand[]): Wallet {
  let state = w;
  for (const c of commands) {
    const decided = decideAndEvolve(c, state);
    if (decided.ok) state = decided.value.state;
  }
  return state;
}

function allowFromHold(base: { reservationId: string; currency: string; customerId: string }, hold: StoredHold, availableNow: Decimal): Authorization {
  return {
    ...base,
    routing: "",
    decision: "ALLOW",
    reason: undefined,
    reserved: hold.amount,
    available: availableNow,
    expiresAt: hold.expiresAt,
    model: hold.model,
    estimatedCost: undefined,
    message: `held ${hold.amount.toString()} ${base.currency} for ${hold.model} (a retry of the first authorization)`,
  };
}

function denyReasonOf(rejection: string): DenyReason {
  switch (rejection) {
    case "SPEND_CAP_REACHED":
    case "CONCURRENCY_LIMIT_REACHED":
      return rejection;
    default:
      return "INSUFFICIENT_FUNDS";
  }
}
