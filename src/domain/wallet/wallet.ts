import { assert, assertNever } from "../assert.js";
import { emptyExpiryIndex, expiryAdd, expiryLast, expiryRemove, type ExpiryIndex } from "../collections/expiry-index.js";
import { PersistentMap } from "../collections/persistent-map.js";
import { limits } from "../limits.js";
import { Decimal } from "../money/decimal.js";
import type { GrantSource, PeriodUsage, WalletEvent } from "./events.js";

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

/** A retried-safe extension of a hold: the caller's id for it, and what it asked for. */
export type HoldExtension = { readonly requestId: string; readonly fingerprint: string };

/** The extension of `hold` made under `requestId`, if it is remembered ("" names none). */
export const extensionOf = (hold: Hold, requestId: string): HoldExtension | undefined =>
  requestId === "" ? undefined : hold.extensions.find((x) => x.requestId === requestId);

/** The extensions of a hold that has none: shared, since most holds are never extended. */
const noExtensions: readonly HoldExtension[] = Object.freeze([]);

/** An open hold, and the model it was placed for (its settlement is rated for that model). */
export type Hold = {
  readonly reservationId: string;
  readonly amount: Decimal;
  readonly expiresAt: Date;
  readonly model: string;
  /** The most recent extensions that carried a request id, oldest first (`limits.holdExtensionIdsMax`). */
  readonly extensions: readonly HoldExtension[];
};

/**
 * What was charged on the current UTC day and month, for daily and monthly spend caps. Only the
 * latest day and month are kept: a cap never looks further back.
 */
export type Spend = { readonly day: string; readonly dayTotal: Decimal; readonly month: string; readonly monthTotal: Decimal };

/** How a hold ended; kept so a retried settle or release answers the same. */
export type ClosedHold = (
  | { readonly kind: "settled"; readonly eventId: string; readonly charged: Decimal; readonly released: Decimal; readonly overage: Decimal }
  | { readonly kind: "released"; readonly released: Decimal; readonly expired: boolean }
) & {
  /** The model the hold was for ("" when unknown), so a settlement after it lapsed can still be rated. */
  readonly model: string;
};

/**
 * The most recently closed holds, in two generations so that forgetting the oldest costs
 * nothing: when `current` is full it becomes `previous` and the old `previous` is dropped.
 * Between half of `limits.walletClosedHoldsMax` and all of it are remembered.
 */
export type ClosedHolds = { readonly current: PersistentMap<ClosedHold>; readonly previous: PersistentMap<ClosedHold> };

export type Wallet = {
  /** Number of events folded in: the version the next event must follow. */
  readonly version: number;
  readonly opened: boolean;
  readonly currency: string;
  readonly overageLimit: Decimal;
  /** Usage not funded by credits, including any beyond the limit. */
  readonly overageUsed: Decimal;
  readonly grants: PersistentMap<Grant>;
  readonly holds: PersistentMap<Hold>;
  readonly closedHolds: ClosedHolds;
  readonly thresholds: readonly Decimal[];
  /** Sum of every grant's remaining credit, kept as events apply so reading it is O(1). */
  readonly creditsRemaining: Decimal;
  /** Sum of every open hold. */
  readonly reserved: Decimal;
  /** Everything ever charged (settlements and debits): what a trial limit counts. */
  readonly chargedTotal: Decimal;
  /** Open holds by expiry (id = reservation id). */
  readonly holdExpiries: ExpiryIndex;
  /** Grants with credit left and an expiry, by expiry (id = grant id). */
  readonly grantExpiries: ExpiryIndex;
  /**
   * Quantity per meter recorded in each recent billing period (keyed by the period's start in
   * epoch ms): what `period.<meter>` reads. Periods older than `limits.usagePeriodsKeptDays`
   * before the newest are dropped.
   */
  readonly periodUsage: PersistentMap<PersistentMap<Decimal>>;
  readonly spend: Spend;
};

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const noClosedHolds: ClosedHolds = { current: PersistentMap.empty(), previous: PersistentMap.empty() };

export const initialWallet: Wallet = {
  version: 0,
  opened: false,
  currency: "",
  overageLimit: Decimal.ZERO,
  overageUsed: Decimal.ZERO,
  grants: PersistentMap.empty(),
  holds: PersistentMap.empty(),
  closedHolds: noClosedHolds,
  thresholds: [],
  creditsRemaining: Decimal.ZERO,
  reserved: Decimal.ZERO,
  chargedTotal: Decimal.ZERO,
  holdExpiries: emptyExpiryIndex,
  grantExpiries: emptyExpiryIndex,
  periodUsage: PersistentMap.empty(),
  spend: { day: "", dayTotal: Decimal.ZERO, month: "", monthTotal: Decimal.ZERO },
};

/**
 * The wallet with some fields replaced. Every field is listed instead of spread: object spread
 * of a state this wide costs microseconds in V8, and evolve runs for every event.
 */
function next(w: Wallet, p: Partial<Wallet>): Wallet {
  return {
    version: p.version ?? w.version,
    opened: p.opened ?? w.opened,
    currency: p.currency ?? w.currency,
    overageLimit: p.overageLimit ?? w.overageLimit,
    overageUsed: p.overageUsed ?? w.overageUsed,
    grants: p.grants ?? w.grants,
    holds: p.holds ?? w.holds,
    closedHolds: p.closedHolds ?? w.closedHolds,
    thresholds: p.thresholds ?? w.thresholds,
    creditsRemaining: p.creditsRemaining ?? w.creditsRemaining,
    reserved: p.reserved ?? w.reserved,
    chargedTotal: p.chargedTotal ?? w.chargedTotal,
    holdExpiries: "holdExpiries" in p ? p.holdExpiries : w.holdExpiries,
    grantExpiries: "grantExpiries" in p ? p.grantExpiries : w.grantExpiries,
    periodUsage: p.periodUsage ?? w.periodUsage,
    spend: p.spend ?? w.spend,
  };
}

/** The meter totals recorded so far in the billing period starting at `periodStart`. */
export const periodUsageOf = (w: Wallet, periodStart: Date): ReadonlyMap<string, Decimal> => new Map(w.periodUsage.get(String(periodStart.getTime()))?.entries() ?? []);

/** What was charged so far on UTC day `day` (YYYY-MM-DD) and in its month. */
export function spentOn(w: Wallet, day: string): { readonly day: Decimal; readonly month: Decimal } {
  return {
    day: w.spend.day === day ? w.spend.dayTotal : Decimal.ZERO,
    month: w.spend.month === day.slice(0, 7) ? w.spend.monthTotal : Decimal.ZERO,
  };
}

const dayMs = 86_400_000;

function withUsage(w: Wallet, usage: readonly PeriodUsage[]): PersistentMap<PersistentMap<Decimal>> {
  let periods = w.periodUsage;
  let added = false;
  for (const u of usage) {
    const key = String(u.periodStart.getTime());
    added ||= !periods.has(key);
    let meters = periods.get(key) ?? PersistentMap.empty<Decimal>();
    for (const q of u.quantities) meters = meters.set(q.meter, (meters.get(q.meter) ?? Decimal.ZERO).plus(q.quantity));
    periods = periods.set(key, meters);
  }
  if (!added) return periods;
  // Forget periods too old for any accepted late event to be rated in, measured from the newest
  // period: the kept set then depends only on which periods exist, so replay, live updates and
  // snapshots agree whatever the order usage arrived in.
  let newest = Number.NEGATIVE_INFINITY;
  periods.forEach((_, k) => (newest = Math.max(newest, Number(k))));
  const oldest = newest - limits.usagePeriodsKeptDays * dayMs;
  const stale: string[] = [];
  periods.forEach((_, k) => {
    if (Number(k) < oldest) stale.push(k);
  });
  for (const k of stale) periods = periods.delete(k);
  return periods;
}

function withSpend(spend: Spend, day: string, amount: Decimal): Spend {
  if (day === "") return spend;
  const month = day.slice(0, 7);
  const dayTotal = day === spend.day ? spend.dayTotal.plus(amount) : day > spend.day ? amount : spend.dayTotal;
  const monthTotal = month === spend.month ? spend.monthTotal.plus(amount) : month > spend.month ? amount : spend.monthTotal;
  return { day: day > spend.day ? day : spend.day, dayTotal, month: month > spend.month ? month : spend.month, monthTotal };
}

export const creditsRemaining = (w: Wallet): Decimal => w.creditsRemaining;
export const reserved = (w: Wallet): Decimal => w.reserved;

/** available = credits_remaining + (overage_limit - overage_used) - reserved. Negative after unfunded usage. */
export const available = (w: Wallet): Decimal => w.creditsRemaining.plus(w.overageLimit).minus(w.overageUsed).minus(w.reserved);

/** How the hold `reservationId` ended, if it is among the remembered closed holds. */
export const closedHold = (w: Wallet, reservationId: string): ClosedHold | undefined =>
  w.closedHolds.current.get(reservationId) ?? w.closedHolds.previous.get(reservationId);

/** Closed holds, oldest generation first (for snapshots). */
export const closedHoldEntries = (w: Wallet): (readonly [string, ClosedHold])[] => [
  ...[...w.closedHolds.previous.entries()].filter(([id]) => !w.closedHolds.current.has(id)),
  ...w.closedHolds.current.entries(),
];

const generationMax = Math.max(1, Math.floor(limits.walletClosedHoldsMax / 2));

function withClosedHold(c: ClosedHolds, reservationId: string, closed: ClosedHold): ClosedHolds {
  if (c.current.size >= generationMax && !c.current.has(reservationId)) {
    return { previous: c.current, current: PersistentMap.empty<ClosedHold>().set(reservationId, closed) };
  }
  return { previous: c.previous, current: c.current.set(reservationId, closed) };
}

const expiryMs = (g: Grant): number | undefined => (g.expiresAt !== undefined && g.remaining.isPositive() && !g.expired ? g.expiresAt.getTime() : undefined);

/** A grant with some fields replaced, listed rather than spread (see `next`). */
const grantWith = (g: Grant, p: Partial<Pick<Grant, "remaining" | "expired" | "expiryWarned">>): Grant => ({
  grantId: g.grantId,
  source: g.source,
  granted: g.granted,
  remaining: p.remaining ?? g.remaining,
  expiresAt: g.expiresAt,
  priority: g.priority,
  reference: g.reference,
  seq: g.seq,
  expired: p.expired ?? g.expired,
  expiryWarned: p.expiryWarned ?? g.expiryWarned,
});

/** Replaces one grant, keeping the credit total and the expiry index in step with it. */
function withGrant(w: Wallet, before: Grant, after: Grant): Pick<Wallet, "grants" | "creditsRemaining" | "grantExpiries"> {
  let grantExpiries = w.grantExpiries;
  const was = expiryMs(before);
  const now = expiryMs(after);
  if (was !== now) {
    if (was !== undefined) grantExpiries = expiryRemove(grantExpiries, was, before.grantId);
    if (now !== undefined) grantExpiries = expiryAdd(grantExpiries, now, after.grantId);
  }
  return {
    grants: w.grants.set(after.grantId, after),
    creditsRemaining: w.creditsRemaining.minus(before.remaining).plus(after.remaining),
    grantExpiries,
  };
}

function changeGrant(w: Wallet, grantId: string, change: (g: Grant) => Grant): Wallet {
  const grant = w.grants.get(grantId);
  assert(grant, `event refers to unknown grant ${grantId}`);
  return next(w, withGrant(w, grant, change(grant)));
}

function drawn(w: Wallet, drawdowns: readonly { grantId: string; amount: Decimal }[]): Wallet {
  let next = w;
  for (const d of drawdowns) {
    next = changeGrant(next, d.grantId, (grant) => {
      const remaining = grant.remaining.minus(d.amount);
      assert(!remaining.isNegative(), `drawdown of ${d.amount.toString()} exceeds grant ${d.grantId}'s remaining ${grant.remaining.toString()}`);
      return grantWith(grant, { remaining });
    });
  }
  return next;
}

function withoutHold(w: Wallet, reservationId: string, ended: DistributiveOmit<ClosedHold, "model">): Wallet {
  const hold = w.holds.get(reservationId);
  const model = hold?.model ?? closedHold(w, reservationId)?.model ?? "";
  // Built field by field rather than spread (see `next`): this runs for every settlement.
  const closed: ClosedHold =
    ended.kind === "settled"
      ? { kind: "settled", eventId: ended.eventId, charged: ended.charged, released: ended.released, overage: ended.overage, model }
      : { kind: "released", released: ended.released, expired: ended.expired, model };
  // A settlement may follow a hold that already lapsed (usage is recorded regardless).
  assert(hold || (closed.kind === "settled" && closedHold(w, reservationId)), `event closes unknown hold ${reservationId}`);
  return next(w, {
    holds: hold ? w.holds.delete(reservationId) : w.holds,
    reserved: hold ? w.reserved.minus(hold.amount) : w.reserved,
    holdExpiries: hold ? expiryRemove(w.holdExpiries, hold.expiresAt.getTime(), reservationId) : w.holdExpiries,
    closedHolds: withClosedHold(w.closedHolds, reservationId, closed),
  });
}

/**
 * `at`, or an equal Date the latest-expiring open hold already keeps. Holds placed in the same
 * millisecond with the same time to live then share one Date: a Date costs about 100 bytes, as
 * much as the rest of a hold, and a wallet may keep 100k+ holds open. (Nothing mutates a Date
 * held in wallet state.)
 */
function sharedExpiry(w: Wallet, at: Date): Date {
  const last = expiryLast(w.holdExpiries);
  if (last === undefined || last.at !== at.getTime()) return at;
  return w.holds.get(last.id)?.expiresAt ?? at;
}

/** Folds one event into the state. Pure; asserts the invariants the event must respect. */
export function evolve(w: Wallet, e: WalletEvent): Wallet {
  const version = w.version + 1;
  switch (e.type) {
    case "WalletOpened":
      return next(w, { version, opened: true, currency: e.currency, overageLimit: e.overageLimit });
    case "CreditsGranted": {
      const grant: Grant = {
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
      };
      const at = expiryMs(grant);
      return next(w, {
        version,
        grants: w.grants.set(e.grantId, grant),
        creditsRemaining: w.creditsRemaining.plus(e.amount),
        grantExpiries: at === undefined ? w.grantExpiries : expiryAdd(w.grantExpiries, at, e.grantId),
      });
    }
    case "FundsReserved":
      return next(w, {
        version,
        holds: w.holds.set(e.reservationId, { reservationId: e.reservationId, amount: e.amount, expiresAt: sharedExpiry(w, e.expiresAt), model: e.model, extensions: noExtensions }),
        reserved: w.reserved.plus(e.amount),
        holdExpiries: expiryAdd(w.holdExpiries, e.expiresAt.getTime(), e.reservationId),
      });
    case "ReservationExtended": {
      const hold = w.holds.get(e.reservationId);
      assert(hold, `extension of unknown hold ${e.reservationId}`);
      return next(w, {
        version,
        holds: w.holds.set(e.reservationId, {
          reservationId: hold.reservationId,
          amount: hold.amount.plus(e.additional),
          expiresAt: e.expiresAt,
          model: hold.model,
          extensions: e.requestId === "" ? hold.extensions : [...hold.extensions, { requestId: e.requestId, fingerprint: e.requestFingerprint }].slice(-limits.holdExtensionIdsMax),
        }),
        reserved: w.reserved.plus(e.additional),
        holdExpiries: expiryAdd(expiryRemove(w.holdExpiries, hold.expiresAt.getTime(), e.reservationId), e.expiresAt.getTime(), e.reservationId),
      });
    }
    case "ReservationSettled": {
      const settled = withoutHold(drawn(w, e.drawdowns), e.reservationId, { kind: "settled", eventId: e.eventId, charged: e.charged, released: e.released, overage: e.overage });
      return next(settled, {
        version,
        periodUsage: withUsage(w, e.usage),
        spend: withSpend(w.spend, e.spentOn, e.charged),
        chargedTotal: w.chargedTotal.plus(e.charged),
      });
    }
    case "ReservationReleased":
      return next(withoutHold(w, e.reservationId, { kind: "released", released: e.released, expired: e.expired }), { version });
    case "UsageDebited":
      return next(drawn(w, e.drawdowns), {
        version,
        periodUsage: withUsage(w, e.usage),
        spend: withSpend(w.spend, e.spentOn, e.amount),
        chargedTotal: w.chargedTotal.plus(e.amount),
      });
    case "CreditsExpired":
      return next(
        changeGrant(w, e.grantId, (g) => grantWith(g, { remaining: g.remaining.minus(e.amount), expired: true })),
        { version },
      );
    case "OverageAccrued":
      return next(w, { version, overageUsed: w.overageUsed.plus(e.amount) });
    case "OverageLimitChanged":
      return next(w, { version, overageLimit: e.overageLimit });
    case "AlertsConfigured":
      return next(w, { version, thresholds: [...e.thresholds] });
    case "BalanceAlertRaised":
      return e.kind === "CREDITS_EXPIRING" && e.grantId !== undefined
        ? next(
            changeGrant(w, e.grantId, (g) => grantWith(g, { expiryWarned: true })),
            { version },
          )
        : next(w, { version });
    default:
      return assertNever(e, "wallet event");
  }
}

/** Replays history: the only way a wallet's state comes to be. */
export function replay(events: readonly WalletEvent[], from: Wallet = initialWallet): Wallet {
  let w = from;
  for (const e of events) w = evolve(w, e);
  return w;
}

/** What a snapshot stores of a wallet: its facts, without the totals and indexes derived from them. */
export type WalletParts = {
  readonly version: number;
  readonly opened: boolean;
  readonly currency: string;
  readonly overageLimit: Decimal;
  readonly overageUsed: Decimal;
  readonly grants: readonly Grant[];
  readonly holds: readonly Hold[];
  /** Oldest first. */
  readonly closedHolds: readonly (readonly [string, ClosedHold])[];
  readonly thresholds: readonly Decimal[];
  readonly periodUsage: readonly PeriodUsage[];
  readonly spend: Spend;
  readonly chargedTotal: Decimal;
};

/** Rebuilds a wallet from stored parts, deriving its totals and indexes. */
export function walletFromParts(p: WalletParts): Wallet {
  let w: Wallet = { ...initialWallet, version: p.version, opened: p.opened, currency: p.currency, overageLimit: p.overageLimit, overageUsed: p.overageUsed, thresholds: p.thresholds };
  for (const g of p.grants) {
    const at = expiryMs(g);
    w = {
      ...w,
      grants: w.grants.set(g.grantId, g),
      creditsRemaining: w.creditsRemaining.plus(g.remaining),
      grantExpiries: at === undefined ? w.grantExpiries : expiryAdd(w.grantExpiries, at, g.grantId),
    };
  }
  for (const h of p.holds) {
    w = { ...w, holds: w.holds.set(h.reservationId, h), reserved: w.reserved.plus(h.amount), holdExpiries: expiryAdd(w.holdExpiries, h.expiresAt.getTime(), h.reservationId) };
  }
  let closed = noClosedHolds;
  for (const [id, c] of p.closedHolds) closed = withClosedHold(closed, id, c);
  return { ...w, closedHolds: closed, periodUsage: withUsage(initialWallet, p.periodUsage), spend: p.spend, chargedTotal: p.chargedTotal };
}

/** The stored parts of a wallet (inverse of walletFromParts). */
export const walletParts = (w: Wallet): WalletParts => ({
  version: w.version,
  opened: w.opened,
  currency: w.currency,
  overageLimit: w.overageLimit,
  overageUsed: w.overageUsed,
  grants: [...w.grants.values()].sort((a, b) => a.seq - b.seq),
  holds: [...w.holds.values()],
  closedHolds: closedHoldEntries(w),
  thresholds: w.thresholds,
  periodUsage: [...w.periodUsage.entries()]
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([start, meters]) => ({ periodStart: new Date(Number(start)), quantities: [...meters.entries()].map(([meter, quantity]) => ({ meter, quantity })) })),
  spend: w.spend,
  chargedTotal: w.chargedTotal,
});

/** How many entries a snapshot of the wallet holds: what loading it costs, against replaying events. */
export const walletSize = (w: Wallet): number =>
  w.grants.size + w.holds.size + w.closedHolds.current.size + w.closedHolds.previous.size + w.thresholds.length + w.periodUsage.size;
