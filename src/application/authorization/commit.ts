import { violation } from "../../domain/catalog/field-error.js";
import { parseTimeField } from "../../domain/catalog/input.js";
import { parseExternalId } from "../../domain/catalog/keys.js";
import { parseReservationId } from "../../domain/authorization/reservation-id.js";
import { Decimal } from "../../domain/money/decimal.js";
import { rateInOrder, type Rated } from "../../domain/rating/rate.js";
import type { RatingRejection } from "../../domain/rating/terms.js";
import { canonicalAttributes, canonicalQuantities, checkTiming, parseAttributes, parseQuantities, type TimeWindow } from "../../domain/rating/usage-event.js";
import { err, ok, type Result } from "../../domain/result.js";
import type { Balance } from "../../domain/wallet/balance.js";
import { balanceOf } from "../../domain/wallet/balance.js";
import type { WalletEvent } from "../../domain/wallet/events.js";
import type { WalletCommand } from "../../domain/wallet/wallet.decide.js";
import { closedHold, periodUsageOf, type Wallet } from "../../domain/wallet/wallet.js";
import { alreadyExists, invalid, notFound, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import type { UsageLog, UsageLogHasher, UsageRecord } from "../ports/usage-log.js";
import type { WalletKey, WalletStore } from "../ports/wallet-store.js";
import type { FormulaCache } from "../rating/formula-cache.js";
import { alignWallet } from "../wallet/wallet-access.js";
import { PricingContext } from "../rating/pricing.js";
import type { WalletWriter } from "../wallet/wallet-writer.js";

export type CommitInput = {
  readonly reservationId: string;
  readonly eventId: string;
  readonly quantities: Readonly<Record<string, string>>;
  readonly occurredAt: Date | undefined;
  readonly attributes: Readonly<Record<string, string>>;
};

export type Committed = {
  readonly charge: Decimal;
  readonly currency: string;
  readonly cost: Decimal;
  readonly costCurrency: string;
  readonly released: Decimal;
  readonly overage: Decimal;
  readonly balance: Balance;
  readonly customerId: string;
  readonly model: string;
  /** True when this answers a retry: the usage was recorded by an earlier call. */
  readonly duplicate: boolean;
};

/** Where a reservation id leads: its customer's wallet. */
export function reservationWallet(tenantId: string, reservationId: string): Result<{ key: WalletKey; customerId: string }, AppError> {
  const parsed = parseReservationId(reservationId);
  if (!parsed) return invalid(violation("reservation_id", "is not a reservation id Authorize issued"));
  return ok({ key: { tenantId, walletId: parsed.customerId }, customerId: parsed.customerId });
}

/** The model a hold was placed for, from the wallet's memory or, for a hold it forgot, from its stored event. */
export async function holdModel(store: WalletStore, w: Wallet, key: WalletKey, reservationId: string): Promise<string | undefined> {
  const open = w.holds.get(reservationId);
  if (open) return open.model;
  const closed = closedHold(w, reservationId);
  if (closed) return closed.model;
  const stored = await store.findHold(key, reservationId);
  return stored?.model;
}

/**
 * The call after a model call: rates the actual usage exactly as IngestUsage would, settles the
 * hold (the actual charge is debited, the rest of the hold returned; a charge beyond the hold is
 * taken from what is available, then from the overage allowance, and what nothing funds is still
 * recorded as overage past the limit), and records the usage in the log, linked to the hold, in
 * the same write. A commit after the hold lapsed still records the usage. Idempotent by event_id.
 */
export class Commit {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly formulas: FormulaCache,
    private readonly log: UsageLog,
    private readonly hasher: UsageLogHasher,
    private readonly writer: WalletWriter,
    private readonly store: WalletStore,
    private readonly clock: Clock,
    private readonly window: TimeWindow,
  ) {}

  async execute(tenantId: string, input: CommitInput): Promise<Result<Committed, AppError>> {
    const target = reservationWallet(tenantId, input.reservationId);
    if (!target.ok) return target;
    const eventId = parseExternalId("event_id", input.eventId);
    if (!eventId.ok) return invalid(eventId.error);
    const now = this.clock.now();
    const occurredAt = parseTimeField("occurred_at", input.occurredAt, now);
    if (!occurredAt.ok) return invalid(occurredAt.error);
    const ctx = await PricingContext.load(this.catalog, this.formulas, tenantId);
    const quantities = parseQuantities("quantities", input.quantities, ctx.meters);
    if (!quantities.ok) return invalid(quantities.error);
    const attributes = parseAttributes("attributes", input.attributes);
    if (!attributes.ok) return invalid(attributes.error);
    const customer = await ctx.customer(target.value.customerId);
    if (!customer) return notFound("reservation", input.reservationId);
    const contentHash = this.hasher.contentHash({
      customerId: customer.id,
      model: "",
      occurredAt: input.occurredAt,
      quantities: canonicalQuantities(quantities.value),
      attributes: canonicalAttributes(attributes.value),
      reservationId: input.reservationId,
    });

    // A retry (the event id already recorded) is answered from the log. It is looked up only
    // when the write says so, or the wallet remembers this settlement: no query of its own on
    // the hot path, the usage log's unique event id is the durable check.
    const recorded = async (): Promise<Result<Committed, AppError> | undefined> => {
      const existing = (await this.log.find(tenantId, [eventId.value])).get(eventId.value);
      if (!existing) return undefined;
      if (existing.contentHash !== contentHash) return alreadyExists("event", eventId.value, `event_id "${eventId.value}" was already recorded with different content`);
      // The balance as stored now, which another instance may have moved since.
      const w = await this.writer.fresh(target.value.key);
      return ok({
        charge: existing.charge,
        currency: existing.currency,
        cost: existing.cost,
        costCurrency: existing.costCurrency,
        released: existing.released ?? Decimal.ZERO,
        overage: existing.overage ?? Decimal.ZERO,
        balance: balanceOf(w),
        customerId: customer.id,
        model: existing.model,
        duplicate: true,
      });
    };
    const settledBy = (w: Wallet) => {
      const closed = closedHold(w, input.reservationId);
      return closed?.kind === "settled" ? closed.eventId : undefined;
    };

    for (let round = 1; ; round++) {
      let w0 = await this.writer.current(target.value.key);
      if (!w0.holds.has(input.reservationId) && !closedHold(w0, input.reservationId)) w0 = await this.writer.fresh(target.value.key);
      if (settledBy(w0) === eventId.value) {
        const again = await recorded();
        if (again) return again;
      }
      const timing = checkTiming("occurred_at", occurredAt.value, now, this.window);
      if (!timing.ok) return (await recorded()) ?? invalid(timing.error);
      const holdFor = await holdModel(this.store, w0, target.value.key, input.reservationId);
      if (holdFor === undefined) return notFound("reservation", input.reservationId);
      const model = ctx.model(holdFor);
      if (!model) return err({ kind: "FAILED_PRECONDITION", message: `the hold's model "${holdFor}" is no longer defined` });
      const terms = ctx.termsAt(customer, model, occurredAt.value);
      if (!terms.ok) return err({ kind: "FAILED_PRECONDITION", message: `the usage cannot be priced: ${terms.error.message}` });

      let rated: Result<Rated, RatingRejection> | undefined;
      const wallet = ctx.walletOf(customer, now);
      let retried = false;
      const job = await this.writer.run(target.value.key, (w) => {
        retried = settledBy(w) === eventId.value;
        if (retried) return { commands: [], records: [], observe: balanceOf };
        const { results, usage } = rateInOrder([{ event: { quantities: quantities.value, attributes: attributes.value }, terms: terms.value }], (start) => periodUsageOf(w, start));
        rated = results[0];
        if (!rated?.ok) return { commands: [], records: [], observe: balanceOf };
        const charge = rated.value.charge;
        const commands: WalletCommand[] = alignWallet(w, wallet, now);
        // A hold the wallet still knows is settled, even lapsed or released: usage is recorded
        // against it. One it forgot, or one settled by another event, is debited without a hold.
        const known = w.holds.has(input.reservationId) || closedHold(w, input.reservationId)?.kind === "released";
        commands.push(
          known
            ? { type: "SettleReservation", reservationId: input.reservationId, eventId: eventId.value, charged: charge, usage, now }
            : { type: "DebitUsage", entries: [{ eventId: eventId.value, amount: charge }], usage, now },
        );
        const cost = rated.value.cost;
        const records = (events: readonly WalletEvent[]): UsageRecord[] => {
          const settled = events.find((e) => e.type === "ReservationSettled");
          const debited = events.find((e) => e.type === "UsageDebited");
          const overage = settled?.type === "ReservationSettled" ? settled.overage : debited?.type === "UsageDebited" ? debited.overage : Decimal.ZERO;
          return [
            {
              tenantId,
              eventId: eventId.value,
              customerId: customer.id,
              model: model.key,
              occurredAt: occurredAt.value,
              receivedAt: now,
              quantities: canonicalQuantities(quantities.value),
              attributes: canonicalAttributes(attributes.value),
              charge,
              currency: terms.value.currency,
              cost,
              costCurrency: terms.value.costVersion.currency,
              planKey: terms.value.planKey,
              planVersion: terms.value.planVersion.version,
              costVersion: terms.value.costVersion.version,
              periodStart: terms.value.period.start,
              reservationId: input.reservationId,
              released: settled?.type === "ReservationSettled" ? settled.released : Decimal.ZERO,
              overage,
              contentHash,
            },
          ];
        };
        return { commands, records, observe: balanceOf };
      });
      if (job.kind === "already-recorded" || retried) {
        const again = await recorded();
        if (again) return again;
        if (round >= 3) return err({ kind: "UNAVAILABLE", message: "the event is being recorded by another call; retry" });
        continue;
      }
      const result = rated as Result<Rated, RatingRejection> | undefined;
      if (!result) throw new Error("the wallet writer answered without rating");
      if (!result.ok) return err({ kind: "FAILED_PRECONDITION", message: `the usage cannot be priced: ${result.error.message}` });
      if (!job.result.ok) throw new Error(`the wallet refused recorded usage: ${job.result.error}`);
      const events = job.result.value.events;
      const settled = events.find((e) => e.type === "ReservationSettled");
      const debited = events.find((e) => e.type === "UsageDebited");
      const zero = Decimal.ZERO;
      return ok({
        charge: result.value.charge,
        currency: terms.value.currency,
        cost: result.value.cost,
        costCurrency: terms.value.costVersion.currency,
        released: settled?.type === "ReservationSettled" ? settled.released : zero,
        overage: settled?.type === "ReservationSettled" ? settled.overage : debited?.type === "UsageDebited" ? debited.overage : zero,
        balance: job.result.value.view,
        customerId: customer.id,
        model: model.key,
        duplicate: false,
      });
    }
  }
}
