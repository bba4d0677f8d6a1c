import { Decimal } from "../money/decimal.js";
import { err, ok, type Result } from "../result.js";
import type { AlertKind, Drawdown, GrantSource, PeriodUsage, WalletEvent } from "./events.js";
import { expiryDue, expiryFirst } from "../collections/expiry-index.js";
import { available, closedHold, extensionOf, replay, spentOn, type Grant, type Wallet } from "./wallet.js";

/**
 * Limits a new hold must respect besides funds, checked in order with every other write to the
 * wallet so concurrent holds cannot jointly exceed them. Zero means no limit.
 */
export type HoldGuards = {
  /** Most charged today plus held (UTC day), including this hold. */
  readonly dailySpendCap: Decimal;
  /** Most charged this UTC month plus held, including this hold. */
  readonly monthlySpendCap: Decimal;
  /** Most holds open at once, including this one. */
  readonly maxOpenHolds: number;
};

const dayMs = 86_400_000;
/** The last day formatted (a pure memo: the same input always gives the same text). */
let lastDay = { number: Number.NaN, text: "" };

/**
 * The UTC calendar day of `at` as YYYY-MM-DD: the window spend caps count in. Every hold and
 * settlement asks, nearly always for the same day, so the text of the last day is kept rather
 * than formatting a date each time.
 */
export function utcDay(at: Date): string {
  const day = Math.floor(at.getTime() / dayMs);
  if (day !== lastDay.number) lastDay = { number: day, text: at.toISOString().slice(0, 10) };
  return lastDay.text;
}

/** What callers ask of a wallet. Time arrives on the command; decide never reads a clock. */
export type WalletCommand =
  | { readonly type: "OpenWallet"; readonly currency: string; readonly overageLimit: Decimal; readonly now: Date }
  | {
      readonly type: "GrantCredits";
      readonly grantId: string;
      readonly amount: Decimal;
      readonly source: GrantSource;
      readonly expiresAt: Date | undefined;
      readonly priority: number;
      readonly reference: string;
      readonly now: Date;
    }
  | {
      readonly type: "ReserveFunds";
      readonly reservationId: string;
      readonly amount: Decimal;
      readonly expiresAt: Date;
      /** The model the hold is for ("" when the caller does not say). */
      readonly model?: string;
      readonly guards?: HoldGuards;
      readonly now: Date;
    }
  | {
      readonly type: "ExtendReservation";
      readonly reservationId: string;
      readonly additional: Decimal;
      readonly expiresAt: Date;
      /**
       * The caller's id for this extension ("" for none): an extension of the hold with this id
       * and this fingerprint (what was asked) is not applied again; another fingerprint is
       * EXTENSION_CONFLICT.
       */
      readonly requestId?: string;
      readonly requestFingerprint?: string;
      /** Spend caps the enlarged hold must respect (its open-hold count does not change). */
      readonly guards?: HoldGuards;
      readonly now: Date;
    }
  | {
      readonly type: "SettleReservation";
      readonly reservationId: string;
      readonly eventId: string;
      readonly charged: Decimal;
      /** The usage being charged, for the period counters. */
      readonly usage?: readonly PeriodUsage[];
      readonly now: Date;
    }
  | { readonly type: "ReleaseReservation"; readonly reservationId: string; readonly now: Date }
  /** Usage rated without a hold (ingestion): one command per wallet covers a batch of events. */
  | {
      readonly type: "DebitUsage";
      readonly entries: readonly { readonly eventId: string; readonly amount: Decimal }[];
      /** The usage being charged, for the period counters. */
      readonly usage?: readonly PeriodUsage[];
      readonly now: Date;
    }
  | { readonly type: "ExpireCredits"; readonly now: Date }
  | { readonly type: "WarnExpiringCredits"; readonly leadMs: number; readonly now: Date }
  | { readonly type: "LapseHolds"; readonly now: Date }
  | { readonly type: "ConfigureAlerts"; readonly thresholds: readonly Decimal[]; readonly now: Date }
  | { readonly type: "ChangeOverageLimit"; readonly overageLimit: Decimal; readonly now: Date };

export type WalletRejection =
  | "WALLET_NOT_OPEN"
  | "CURRENCY_MISMATCH"
  | "AMOUNT_NOT_POSITIVE"
  | "AMOUNT_NEGATIVE"
  | "EXPIRY_NOT_IN_FUTURE"
  | "GRANT_ID_CONFLICT"
  | "RESERVATION_ID_CONFLICT"
  | "INSUFFICIENT_FUNDS"
  | "SPEND_CAP_REACHED"
  | "CONCURRENCY_LIMIT_REACHED"
  | "UNKNOWN_RESERVATION"
  | "RESERVATION_CLOSED"
  | "SETTLEMENT_CONFLICT"
  | "EXTENSION_CONFLICT";

/** Grants in drawdown order: highest priority, then soonest expiry (never last), then oldest. */
export function drawdownOrder(grants: Iterable<Grant>): Grant[] {
  return [...grants]
    .filter((g) => g.remaining.isPositive())
    .sort((a, b) => {
      if (a.priority !== b.priority) return b.priority - a.priority;
      const ax = a.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
      const bx = b.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
      if (ax !== bx) return ax - bx;
      return a.seq - b.seq;
    });
}

/** Splits `amount` across grants in drawdown order; what credits cannot cover is overage. */
export function drawDown(w: Wallet, amount: Decimal): { drawdowns: Drawdown[]; overage: Decimal } {
  const drawdowns: Drawdown[] = [];
  let left = amount;
  for (const grant of drawdownOrder(w.grants.values())) {
    if (!left.isPositive()) break;
    const take = Decimal.min(left, grant.remaining);
    drawdowns.push({ grantId: grant.grantId, amount: take });
    left = left.minus(take);
  }
  return { drawdowns, overage: left.isPositive() ? left : Decimal.ZERO };
}

const positive = (x: Decimal) => (x.isPositive() ? x : Decimal.ZERO);

/** Overage events for `overage` added to what the wallet has used already. */
function overageEvents(w: Wallet, overage: Decimal): WalletEvent[] {
  if (!overage.isPositive()) return [];
  const beyondBefore = positive(w.overageUsed.minus(w.overageLimit));
  const beyondAfter = positive(w.overageUsed.plus(overage).minus(w.overageLimit));
  return [{ type: "OverageAccrued", v: 1, amount: overage, beyondLimit: beyondAfter.minus(beyondBefore) }];
}

/**
 * Housekeeping every command starts with, so correctness never waits for the scheduler: credits
 * past their expiry are expired and holds past theirs are released before anything is decided.
 */
function dueHousekeeping(w: Wallet, now: Date): WalletEvent[] {
  const t = now.getTime();
  const events: WalletEvent[] = [];
  // The indexes answer "nothing is due" without looking at any grant or hold.
  if ((expiryFirst(w.grantExpiries) ?? Number.POSITIVE_INFINITY) <= t) {
    for (const grantId of expiryDue(w.grantExpiries, t)) {
      const g = w.grants.get(grantId);
      if (g && !g.expired && g.remaining.isPositive()) events.push({ type: "CreditsExpired", v: 1, grantId, amount: g.remaining });
    }
  }
  if ((expiryFirst(w.holdExpiries) ?? Number.POSITIVE_INFINITY) <= t) {
    for (const reservationId of expiryDue(w.holdExpiries, t)) {
      const h = w.holds.get(reservationId);
      if (h) events.push({ type: "ReservationReleased", v: 1, reservationId, released: h.amount, expired: true });
    }
  }
  return events;
}

const alert = (kind: AlertKind, threshold: Decimal, availableNow: Decimal, grantId?: string): WalletEvent => ({
  type: "BalanceAlertRaised",
  v: 1,
  kind,
  threshold,
  available: availableNow,
  grantId,
});

/**
 * Alerts implied by moving from `before` to `after`: LOW_BALANCE once per downward crossing of
 * each threshold, OVERAGE_STARTED when usage first goes into overage and when it first goes
 * past the overage limit, CREDITS_EXPIRED for each expiry.
 */
function alertsFor(before: Wallet, after: Wallet, events: readonly WalletEvent[]): WalletEvent[] {
  const alerts: WalletEvent[] = [];
  // `available` is worked out only when an alert may need it: most commands raise none, and
  // this runs for every command.
  let availableAfterKnown: Decimal | undefined;
  const availableAfter = (): Decimal => (availableAfterKnown ??= available(after));
  for (const e of events) if (e.type === "CreditsExpired") alerts.push(alert("CREDITS_EXPIRED", e.amount, availableAfter(), e.grantId));
  if (after.thresholds.length > 0) {
    const availableBefore = available(before);
    for (const t of after.thresholds) if (availableBefore.gte(t) && availableAfter().lt(t)) alerts.push(alert("LOW_BALANCE", t, availableAfter()));
  }
  if (!before.overageUsed.isPositive() && after.overageUsed.isPositive()) alerts.push(alert("OVERAGE_STARTED", Decimal.ZERO, availableAfter()));
  if (before.overageUsed.lte(before.overageLimit) && after.overageUsed.gt(after.overageLimit) && after.overageLimit.isPositive()) {
    alerts.push(alert("OVERAGE_STARTED", after.overageLimit, availableAfter()));
  }
  return alerts;
}

function sameGrant(g: Grant, c: Extract<WalletCommand, { type: "GrantCredits" }>): boolean {
  return (
    g.granted.eq(c.amount) &&
    g.source === c.source &&
    g.priority === c.priority &&
    g.reference === c.reference &&
    (g.expiresAt?.getTime() ?? null) === (c.expiresAt?.getTime() ?? null)
  );
}

/**
 * Why holding `amount` more breaks a guard, if it does: spend caps first (what was charged today
 * or this month plus everything held, this included), then the number of open holds.
 */
export function guardRefusal(g: HoldGuards, w: Wallet, amount: Decimal, now: Date, newHold: boolean): WalletRejection | undefined {
  const spent = spentOn(w, utcDay(now));
  const committed = w.reserved.plus(amount);
  if (g.dailySpendCap.isPositive() && spent.day.plus(committed).gt(g.dailySpendCap)) return "SPEND_CAP_REACHED";
  if (g.monthlySpendCap.isPositive() && spent.month.plus(committed).gt(g.monthlySpendCap)) return "SPEND_CAP_REACHED";
  if (newHold && g.maxOpenHolds > 0 && w.holds.size + 1 > g.maxOpenHolds) return "CONCURRENCY_LIMIT_REACHED";
  return undefined;
}

/** The command's own events, decided against `w` (housekeeping already applied). */
function decideCore(c: WalletCommand, w: Wallet): Result<WalletEvent[], WalletRejection> {
  switch (c.type) {
    case "OpenWallet":
      if (w.opened) return w.currency === c.currency ? ok([]) : err("CURRENCY_MISMATCH");
      if (c.overageLimit.isNegative()) return err("AMOUNT_NEGATIVE");
      return ok([{ type: "WalletOpened", v: 1, currency: c.currency, overageLimit: c.overageLimit }]);
    case "GrantCredits": {
      const existing = w.grants.get(c.grantId);
      if (existing) return sameGrant(existing, c) ? ok([]) : err("GRANT_ID_CONFLICT");
      if (!c.amount.isPositive()) return err("AMOUNT_NOT_POSITIVE");
      if (c.expiresAt !== undefined && c.expiresAt.getTime() <= c.now.getTime()) return err("EXPIRY_NOT_IN_FUTURE");
      return ok([
        { type: "CreditsGranted", v: 1, grantId: c.grantId, amount: c.amount, source: c.source, expiresAt: c.expiresAt, priority: c.priority, reference: c.reference },
      ]);
    }
    case "ReserveFunds": {
      const open = w.holds.get(c.reservationId);
      if (open || closedHold(w, c.reservationId)) return open && open.amount.eq(c.amount) ? ok([]) : err("RESERVATION_ID_CONFLICT");
      // A hold of zero is allowed: it counts against concurrency limits for usage priced at nothing.
      if (c.amount.isNegative()) return err("AMOUNT_NEGATIVE");
      if (c.expiresAt.getTime() <= c.now.getTime()) return err("EXPIRY_NOT_IN_FUTURE");
      const refused = c.guards ? guardRefusal(c.guards, w, c.amount, c.now, true) : undefined;
      if (refused) return err(refused);
      if (c.amount.gt(available(w))) return err("INSUFFICIENT_FUNDS");
      return ok([{ type: "FundsReserved", v: 1, reservationId: c.reservationId, amount: c.amount, expiresAt: c.expiresAt, model: c.model ?? "" }]);
    }
    case "ExtendReservation": {
      const hold = w.holds.get(c.reservationId);
      if (!hold) return err(closedHold(w, c.reservationId) ? "RESERVATION_CLOSED" : "UNKNOWN_RESERVATION");
      const requestId = c.requestId ?? "";
      const fingerprint = c.requestFingerprint ?? "";
      const earlier = extensionOf(hold, requestId);
      if (earlier) return earlier.fingerprint === fingerprint ? ok([]) : err("EXTENSION_CONFLICT");
      if (c.additional.isNegative()) return err("AMOUNT_NEGATIVE");
      if (c.expiresAt.getTime() <= c.now.getTime()) return err("EXPIRY_NOT_IN_FUTURE");
      const refused = c.guards ? guardRefusal(c.guards, w, c.additional, c.now, false) : undefined;
      if (refused) return err(refused);
      if (c.additional.gt(available(w))) return err("INSUFFICIENT_FUNDS");
      return ok([{ type: "ReservationExtended", v: 1, reservationId: c.reservationId, additional: c.additional, expiresAt: c.expiresAt, requestId, requestFingerprint: fingerprint }]);
    }
    case "SettleReservation": {
      if (c.charged.isNegative()) return err("AMOUNT_NEGATIVE");
      const hold = w.holds.get(c.reservationId);
      const closed = closedHold(w, c.reservationId);
      if (!hold && !closed) return err("UNKNOWN_RESERVATION");
      if (closed?.kind === "settled") return closed.eventId === c.eventId && closed.charged.eq(c.charged) ? ok([]) : err("SETTLEMENT_CONFLICT");
      // Usage that happened is recorded even when its hold lapsed or was released.
      const { drawdowns, overage } = drawDown(w, c.charged);
      const released = hold ? positive(hold.amount.minus(c.charged)) : Decimal.ZERO;
      return ok([
        {
          type: "ReservationSettled",
          v: 1,
          reservationId: c.reservationId,
          eventId: c.eventId,
          charged: c.charged,
          released,
          drawdowns,
          overage,
          usage: c.usage ?? [],
          spentOn: utcDay(c.now),
        },
        ...overageEvents(w, overage),
      ]);
    }
    case "ReleaseReservation": {
      const hold = w.holds.get(c.reservationId);
      if (hold) return ok([{ type: "ReservationReleased", v: 1, reservationId: c.reservationId, released: hold.amount, expired: false }]);
      return closedHold(w, c.reservationId) ? ok([]) : err("UNKNOWN_RESERVATION");
    }
    case "DebitUsage": {
      if (c.entries.some((e) => e.amount.isNegative())) return err("AMOUNT_NEGATIVE");
      const amount = Decimal.sum(c.entries.map((e) => e.amount));
      if (c.entries.length === 0) return ok([]);
      const { drawdowns, overage } = drawDown(w, amount);
      return ok([
        { type: "UsageDebited", v: 1, amount, eventIds: c.entries.map((e) => e.eventId), drawdowns, overage, usage: c.usage ?? [], spentOn: utcDay(c.now) },
        ...overageEvents(w, overage),
      ]);
    }
    case "ExpireCredits":
    case "LapseHolds":
      return ok([]); // housekeeping already did it
    case "WarnExpiringCredits": {
      const availableNow = available(w);
      const alerts: WalletEvent[] = [];
      for (const grantId of expiryDue(w.grantExpiries, c.now.getTime() + c.leadMs)) {
        const g = w.grants.get(grantId);
        if (g && !g.expired && !g.expiryWarned && g.remaining.isPositive()) alerts.push(alert("CREDITS_EXPIRING", g.remaining, availableNow, g.grantId));
      }
      return ok(alerts);
    }
    case "ConfigureAlerts":
      if (c.thresholds.some((t) => t.isNegative())) return err("AMOUNT_NEGATIVE");
      return ok([{ type: "AlertsConfigured", v: 1, thresholds: [...c.thresholds].sort((a, b) => b.cmp(a)) }]);
    case "ChangeOverageLimit":
      if (c.overageLimit.isNegative()) return err("AMOUNT_NEGATIVE");
      return w.overageLimit.eq(c.overageLimit) ? ok([]) : ok([{ type: "OverageLimitChanged", v: 1, overageLimit: c.overageLimit }]);
  }
}

/** A decision and the state right after its events: what the single writer carries forward. */
export type Decided = { readonly events: WalletEvent[]; readonly state: Wallet };

/**
 * Decides a command against the current state: the housekeeping that is due, the command's own
 * events, and the alerts they imply, with the state after them (each event is folded once). A
 * rejected command yields no events at all, housekeeping included: the next accepted command
 * (or the scheduler) applies it.
 */
export function decideAndEvolve(c: WalletCommand, w: Wallet): Result<Decided, WalletRejection> {
  if (c.type !== "OpenWallet" && !w.opened) return err("WALLET_NOT_OPEN");
  const housekeeping = c.type === "OpenWallet" ? [] : dueHousekeeping(w, c.now);
  const afterHousekeeping = housekeeping.length === 0 ? w : replay(housekeeping, w);
  const core = decideCore(c, afterHousekeeping);
  if (!core.ok) return core;
  if (housekeeping.length === 0 && core.value.length === 0) return ok({ events: [], state: w });
  const after = replay(core.value, afterHousekeeping);
  // The common case (nothing due, no alert) allocates no merged arrays.
  const own = housekeeping.length === 0 ? core.value : [...housekeeping, ...core.value];
  const alerts = alertsFor(w, after, own);
  if (alerts.length === 0) return ok({ events: own, state: after });
  return ok({ events: [...own, ...alerts], state: replay(alerts, after) });
}

/** The events a command produces against `w`, or why it is refused. */
export function decide(c: WalletCommand, w: Wallet): Result<WalletEvent[], WalletRejection> {
  const decided = decideAndEvolve(c, w);
  return decided.ok ? ok(decided.value.events) : decided;
}
