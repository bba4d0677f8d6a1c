import { violation } from "../../domain/catalog/field-error.js";
import { parseAmountIn, type MoneyInput } from "../../domain/catalog/input.js";
import { parseExternalId } from "../../domain/catalog/keys.js";
import { subscriptionAt, type Customer } from "../../domain/catalog/customer.js";
import { planVersionAt } from "../../domain/catalog/plan.js";
import { exceedsTrialCredit, inTrial } from "../../domain/authorization/trial.js";
import { Decimal } from "../../domain/money/decimal.js";
import { rate } from "../../domain/rating/rate.js";
import { canonicalQuantities, parseQuantities } from "../../domain/rating/usage-event.js";
import { err, ok, type Result } from "../../domain/result.js";
import { balanceOf, type Balance } from "../../domain/wallet/balance.js";
import { available, closedHold, extensionOf, periodUsageOf, type Hold, type Wallet } from "../../domain/wallet/wallet.js";
import type { WalletCommand } from "../../domain/wallet/wallet.decide.js";
import { invalid, notFound, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import type { WalletStore } from "../ports/wallet-store.js";
import type { FormulaCache } from "../rating/formula-cache.js";
import { PricingContext } from "../rating/pricing.js";
import type { JobResult, WalletWriter } from "../wallet/wallet-writer.js";
import { walletRefusal } from "../wallet/wallet-access.js";
import type { TrialGroups } from "./trial-groups.js";
import { guardsOf, parseTtl, type DenyReason } from "./authorize.js";
import { reservationWallet } from "./commit.js";

export type ExtendInput = {
  readonly reservationId: string;
  readonly estimatedQuantities: Readonly<Record<string, string>>;
  readonly additionalCharge: MoneyInput | undefined;
  readonly ttlMs: number | undefined;
  /** The caller's idempotency key for this extension ("" for none). */
  readonly requestId: string;
};

export type Extension = {
  readonly decision: "ALLOW" | "DENY";
  readonly reason: DenyReason | undefined;
  readonly reserved: Decimal;
  readonly currency: string;
  readonly expiresAt: Date;
  readonly message: string;
};

/**
 * Grows a live hold (long agent sessions) by more expected usage or an amount, and gives it a new
 * lifetime from now. The addition must fit the trial credit (while in trial), the spend caps and
 * what is available, like a new hold.
 */
export class Extend {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly formulas: FormulaCache,
    private readonly writer: WalletWriter,
    private readonly trials: TrialGroups,
    private readonly clock: Clock,
  ) {}

  async execute(tenantId: string, input: ExtendInput): Promise<Result<Extension, AppError>> {
    const target = reservationWallet(tenantId, input.reservationId);
    if (!target.ok) return target;
    const ttl = parseTtl("ttl", input.ttlMs);
    if (!ttl.ok) return ttl;
    const requestId = input.requestId === "" ? ok("") : parseExternalId("request_id", input.requestId);
    if (!requestId.ok) return invalid(requestId.error);
    const ctx = await PricingContext.load(this.catalog, this.formulas, tenantId);
    const quantities = parseQuantities("estimated_quantities", input.estimatedQuantities, ctx.meters);
    if (!quantities.ok) return invalid(quantities.error);
    const customer = await ctx.customer(target.value.customerId);
    if (!customer) return notFound("reservation", input.reservationId);
    const now = this.clock.now();
    const currency = ctx.walletOf(customer, now).currency;
    const amountGiven = input.additionalCharge !== undefined && input.additionalCharge.amount !== "";
    const additional = amountGiven ? parseAmountIn("additional_charge", input.additionalCharge, currency) : ok(undefined);
    if (!additional.ok) return invalid(additional.error);
    // What this extension asks for: a retry with the same request id must ask the same.
    const fingerprint = JSON.stringify([canonicalQuantities(quantities.value), additional.value?.toString() ?? null, ttl.value]);
    let w0 = await this.writer.current(target.value.key);
    // A hold this process does not know may have been placed through another instance.
    if (!w0.holds.has(input.reservationId)) w0 = await this.writer.fresh(target.value.key);
    const hold = w0.holds.get(input.reservationId);
    if (!hold) {
      return closedHold(w0, input.reservationId)
        ? err({ kind: "FAILED_PRECONDITION", message: "the reservation is already settled, released or lapsed" })
        : notFound("reservation", input.reservationId);
    }
    let amount = additional.value ?? Decimal.ZERO;
    if (additional.value === undefined && quantities.value.size > 0) {
      const model = ctx.model(hold.model);
      const terms = model && ctx.termsAt(customer, model, now);
      if (!terms || !terms.ok) return err({ kind: "FAILED_PRECONDITION", message: `the estimate cannot be priced: ${terms ? terms.error.message : `model "${hold.model}" not found`}` });
      const priced = rate({ quantities: quantities.value, attributes: new Map() }, terms.value, periodUsageOf(w0, terms.value.period.start));
      if (!priced.ok) return err({ kind: "FAILED_PRECONDITION", message: `the estimate cannot be priced: ${priced.error.message}` });
      amount = priced.value.charge;
    }
    const expiresAt = new Date(now.getTime() + ttl.value);
    const command: WalletCommand = {
      type: "ExtendReservation",
      reservationId: input.reservationId,
      additional: amount,
      expiresAt,
      guards: guardsOf(customer),
      requestId: requestId.value,
      requestFingerprint: fingerprint,
      now,
    };
    // A retry of an extension already applied is answered by the wallet (nothing added), before
    // any limit: the first call's addition already counts against them.
    const applied = (w: Wallet) => {
      const open = w.holds.get(input.reservationId);
      return open !== undefined && extensionOf(open, requestId.value) !== undefined;
    };
    // While in trial, the addition must also fit the trial credit shared by the customer's
    // fingerprint, or a small Authorize followed by a large Extend would pass it.
    const trialCredit = trialCreditAt(ctx, customer, now);
    let trialRefusal: string | undefined;
    // What the answer needs of the hold once extended (a retry's is as the first call left it).
    const holdAfter = (w: Wallet): Hold | undefined => w.holds.get(input.reservationId);
    const extendIn = async (othersSpend: Decimal | undefined): Promise<JobResult<Hold | undefined>> =>
      this.writer.run(target.value.key, (w) => {
        if (othersSpend !== undefined && amount.isPositive() && !applied(w)) {
          const groupSpend = othersSpend.plus(w.chargedTotal).plus(w.reserved);
          if (exceedsTrialCredit(trialCredit, groupSpend, amount)) {
            trialRefusal = `the trial credit of ${trialCredit.toString()} is used up: ${groupSpend.toString()} spent or held, ${amount.toString()} more needed`;
            return { commands: [], records: [], observe: holdAfter };
          }
        }
        trialRefusal = undefined;
        return { commands: [command], records: [], observe: holdAfter };
      });
    const job = inTrial(customer, now) && trialCredit.isPositive() ? await this.trials.run(tenantId, customer, extendIn) : await extendIn(undefined);
    // No new hold and no usage record: nothing of this job can collide with another's write.
    if (job.kind !== "decided") throw new Error("an extension collided with another write");
    if (trialRefusal !== undefined) {
      return ok({ decision: "DENY", reason: "TRIAL_LIMIT_REACHED", reserved: hold.amount, currency, expiresAt: hold.expiresAt, message: trialRefusal });
    }
    const extended = job.result;
    if (extended.ok) {
      const after = extended.value.view;
      const reserved = after?.amount ?? hold.amount.plus(amount);
      // A retry answers with the hold as it is (its expiry set by the first call).
      const until = after?.expiresAt ?? expiresAt;
      return ok({ decision: "ALLOW", reason: undefined, reserved, currency, expiresAt: until, message: `holding ${reserved.toString()} ${currency} until ${until.toISOString()}` });
    }
    const current = await this.writer.current(target.value.key);
    const still = current.holds.get(input.reservationId);
    switch (extended.error) {
      case "INSUFFICIENT_FUNDS":
      case "SPEND_CAP_REACHED":
        return ok({
          decision: "DENY",
          reason: extended.error,
          reserved: still?.amount ?? Decimal.ZERO,
          currency,
          expiresAt: still?.expiresAt ?? hold.expiresAt,
          message: extended.error === "INSUFFICIENT_FUNDS" ? `insufficient funds: ${amount.toString()} more needed, ${available(current).toString()} available` : "a spend cap would be exceeded",
        });
      case "RESERVATION_CLOSED":
        return err({ kind: "FAILED_PRECONDITION", message: "the reservation is already settled, released or lapsed" });
      case "UNKNOWN_RESERVATION":
        return notFound("reservation", input.reservationId);
      case "EXTENSION_CONFLICT":
        return err(walletRefusal(extended.error, { requestId: requestId.value }));
      default:
        return invalid(violation("additional_charge", `was refused: ${extended.error}`));
    }
  }
}

/** The trial credit of the plan version in force for the customer at `now` (zero: no trial limit). */
function trialCreditAt(ctx: PricingContext, customer: Customer, now: Date): Decimal {
  const subscription = subscriptionAt(customer, now);
  const plan = subscription && ctx.plan(subscription.planKey);
  const version = plan && planVersionAt(plan, now);
  return version?.trialCredit ?? Decimal.ZERO;
}

/** Returns an unused hold. Releasing one already closed answers again what it released. */
export class Release {
  constructor(
    private readonly writer: WalletWriter,
    private readonly store: WalletStore,
    private readonly clock: Clock,
  ) {}

  async execute(tenantId: string, reservationId: string): Promise<Result<{ released: Decimal; balance: Balance; customerId: string }, AppError>> {
    const target = reservationWallet(tenantId, reservationId);
    if (!target.ok) return target;
    let before = await this.writer.current(target.value.key);
    // A hold this process does not know may have been placed through another instance.
    if (!before.holds.has(reservationId) && !closedHold(before, reservationId)) before = await this.writer.fresh(target.value.key);
    const open = before.holds.get(reservationId);
    const closed = closedHold(before, reservationId);
    if (!open && !closed) {
      // Forgotten by the wallet, but placed: long closed, nothing left to release.
      if (await this.store.findHold(target.value.key, reservationId)) return ok({ released: Decimal.ZERO, balance: balanceOf(before), customerId: target.value.customerId });
      return notFound("reservation", reservationId);
    }
    const released = await this.writer.execute(target.value.key, { type: "ReleaseReservation", reservationId, now: this.clock.now() }, (w) => ({
      closed: closedHold(w, reservationId),
      balance: balanceOf(w),
    }));
    if (!released.ok) return released.error === "UNKNOWN_RESERVATION" ? notFound("reservation", reservationId) : err({ kind: "FAILED_PRECONDITION", message: `the release was refused: ${released.error}` });
    const event = released.value.events.find((e) => e.type === "ReservationReleased" && e.reservationId === reservationId);
    const amount = event?.type === "ReservationReleased" ? event.released : (() => {
      const c = released.value.view.closed;
      return c ? c.released : Decimal.ZERO;
    })();
    return ok({ released: amount, balance: released.value.view.balance, customerId: target.value.customerId });
  }
}
