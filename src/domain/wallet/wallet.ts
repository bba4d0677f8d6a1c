import { assert, assertNever } from "../assert.js";
import { limits } from "../limits.js";
import { Decimal } from "../money/decimal.js";
import type { GrantSource, WalletEvent } from "./events.js";

/** One grant of credits and what is left of it. */
export type Grant = {
  readonly grantId: string;
  readonly source: GrantSource;
  readonly granted: Decimal;
  readonly remaining: Decimal;
  readonly expiresAt: Date | undefined;
  readonly priority: number;
  readonly reference: string;
  /** Order of granting: the tie-breaker "oldest first" in drawdown. */
  readonly seq: number;
  /** Whether its remainder has expired (then `remaining` is zero). */
  readonly expired: boolean;
  /** Whether a CREDITS_EXPIRING alert was raised for it. */
  readonly expiryWarned: boolean;
};

/** An open hold. */
export type Hold = { readonly reservationId: string; readonly amount: Decimal; readonly expiresAt: Date };

/** How a hold ended; kept so a retried settle or release answers the same. */
export type ClosedHold =
  | { readonly kind: "settled"; readonly eventId: string; readonly charged: Decimal; readonly released: Decimal; readonly overage: Decimal }
  | { readonly kind: "released"; readonly released: Decimal; readonly expired: boolean };

export type Wallet = {
  /** Number of events folded in: the version the next event must follow. */
  readonly version: number;
  readonly opened: boolean;
  readonly currency: string;
  readonly overageLimit: Decimal;
  /** Usage not funded by credits, including any beyond the limit. */
  readonly overageUsed: Decimal;
  readonly grants: ReadonlyMap<string, Grant>;
  readonly holds: ReadonlyMap<string, Hold>;
  readonly closedHolds: ReadonlyMap<string, ClosedHold>;
  readonly thresholds: readonly Decimal[];
};

export const initialWallet: Wallet = {
  version: 0,
  opened: false,
  currency: "",
  overageLimit: Decimal.ZERO,
  overageUsed: Decimal.ZERO,
  grants: new Map(),
  holds: new Map(),
  closedHolds: new Map(),
  thresholds: [],
};

export const creditsRemaining = (w: Wallet): Decimal => Decimal.sum([...w.grants.values()].map((g) => g.remaining));
export const reserved = (w: Wallet): Decimal => Decimal.sum([...w.holds.values()].map((h) => h.amount));

/** available = credits_remaining + (overage_limit - overage_used) - reserved. Negative after unfunded usage. */
export const available = (w: Wallet): Decimal => creditsRemaining(w).plus(w.overageLimit).minus(w.overageUsed).minus(reserved(w));

function withGrant(w: Wallet, grantId: string, change: (g: Grant) => Grant): Map<string, Grant> {
  const grant = w.grants.get(grantId);
  assert(grant, `event refers to unknown grant ${grantId}`);
  const next = new Map(w.grants);
  next.set(grantId, change(grant));
  return next;
}

function drawn(w: Wallet, drawdowns: readonly { grantId: string; amount: Decimal }[]): Map<string, Grant> {
  const next = new Map(w.grants);
  for (const d of drawdowns) {
    const grant = next.get(d.grantId);
    assert(grant, `drawdown from unknown grant ${d.grantId}`);
    const remaining = grant.remaining.minus(d.amount);
    assert(!remaining.isNegative(), `drawdown of ${d.amount.toString()} exceeds grant ${d.grantId}'s remaining ${grant.remaining.toString()}`);
    next.set(d.grantId, { ...grant, remaining });
  }
  return next;
}

function withoutHold(w: Wallet, reservationId: string, closed: ClosedHold): Pick<Wallet, "holds" | "closedHolds"> {
  // A settlement may follow a hold that already lapsed (usage is recorded regardless).
  assert(w.holds.has(reservationId) || (closed.kind === "settled" && w.closedHolds.has(reservationId)), `event closes unknown hold ${reservationId}`);
  const holds = new Map(w.holds);
  holds.delete(reservationId);
  const closedHolds = new Map(w.closedHolds);
  closedHolds.delete(reservationId); // re-inserted last: it is the newest
  closedHolds.set(reservationId, closed);
  for (const oldest of closedHolds.keys()) {
    if (closedHolds.size <= limits.walletClosedHoldsMax) break;
    closedHolds.delete(oldest);
  }
  return { holds, closedHolds };
}

/** Folds one event into the state. Pure; asserts the invariants the event must respect. */
export function evolve(w: Wallet, e: WalletEvent): Wallet {
  const version = w.version + 1;
  switch (e.type) {
    case "WalletOpened":
      return { ...w, version, opened: true, currency: e.currency, overageLimit: e.overageLimit };
    case "CreditsGranted": {
      const grants = new Map(w.grants);
      grants.set(e.grantId, {
        grantId: e.grantId,
        source: e.source,
        granted: e.amount,
        remaining: e.amount,
        expiresAt: e.expiresAt,
        priority: e.priority,
        reference: e.reference,
        seq: w.grants.size,
        expired: false,
        expiryWarned: false,
      });
      return { ...w, version, grants };
    }
    case "FundsReserved": {
      const holds = new Map(w.holds);
      holds.set(e.reservationId, { reservationId: e.reservationId, amount: e.amount, expiresAt: e.expiresAt });
      return { ...w, version, holds };
    }
    case "ReservationExtended": {
      const hold = w.holds.get(e.reservationId);
      assert(hold, `extension of unknown hold ${e.reservationId}`);
      const holds = new Map(w.holds);
      holds.set(e.reservationId, { ...hold, amount: hold.amount.plus(e.additional), expiresAt: e.expiresAt });
      return { ...w, version, holds };
    }
    case "ReservationSettled":
      return {
        ...w,
        version,
        grants: drawn(w, e.drawdowns),
        ...withoutHold(w, e.reservationId, { kind: "settled", eventId: e.eventId, charged: e.charged, released: e.released, overage: e.overage }),
      };
    case "ReservationReleased":
      return { ...w, version, ...withoutHold(w, e.reservationId, { kind: "released", released: e.released, expired: e.expired }) };
    case "UsageDebited":
      return { ...w, version, grants: drawn(w, e.drawdowns) };
    case "CreditsExpired":
      return { ...w, version, grants: withGrant(w, e.grantId, (g) => ({ ...g, remaining: g.remaining.minus(e.amount), expired: true })) };
    case "OverageAccrued":
      return { ...w, version, overageUsed: w.overageUsed.plus(e.amount) };
    case "OverageLimitChanged":
      return { ...w, version, overageLimit: e.overageLimit };
    case "AlertsConfigured":
      return { ...w, version, thresholds: [...e.thresholds] };
    case "BalanceAlertRaised":
      return e.kind === "CREDITS_EXPIRING" && e.grantId !== undefined
        ? { ...w, version, grants: withGrant(w, e.grantId, (g) => ({ ...g, expiryWarned: true })) }
        : { ...w, version };
    default:
      return assertNever(e, "wallet event");
  }
}

/** Replays history: the only way a wallet's state comes to be. */
export const replay = (events: readonly WalletEvent[], from: Wallet = initialWallet): Wallet => events.reduce(evolve, from);
