import type { Decimal } from "../money/decimal.js";
import { available, creditsRemaining, reserved, type Grant, type Wallet } from "./wallet.js";

/** What a caller sees of a wallet: the read model, derived from state, never stored as truth. */
export type Balance = {
  readonly currency: string;
  readonly version: number;
  readonly available: Decimal;
  readonly creditsRemaining: Decimal;
  readonly reserved: Decimal;
  readonly overageUsed: Decimal;
  readonly overageLimit: Decimal;
  /** Grants with something left. */
  readonly grants: readonly Pick<Grant, "grantId" | "source" | "granted" | "remaining" | "expiresAt" | "priority">[];
};

export function balanceOf(w: Wallet): Balance {
  return {
    currency: w.currency,
    version: w.version,
    available: available(w),
    creditsRemaining: creditsRemaining(w),
    reserved: reserved(w),
    overageUsed: w.overageUsed,
    overageLimit: w.overageLimit,
    grants: [...w.grants.values()]
      .filter((g) => g.remaining.isPositive())
      .map((g) => ({ grantId: g.grantId, source: g.source, granted: g.granted, remaining: g.remaining, expiresAt: g.expiresAt, priority: g.priority })),
  };
}

/**
 * When housekeeping is next due for this wallet: the earliest hold expiry, credit expiry, or
 * expiry warning (`leadMs` before a credit expires). Undefined when nothing is pending.
 */
export function nextDueAt(w: Wallet, leadMs: number): Date | undefined {
  let due = Number.POSITIVE_INFINITY;
  for (const h of w.holds.values()) due = Math.min(due, h.expiresAt.getTime());
  for (const g of w.grants.values()) {
    if (g.expired || !g.remaining.isPositive() || g.expiresAt === undefined) continue;
    due = Math.min(due, g.expiryWarned ? g.expiresAt.getTime() : g.expiresAt.getTime() - leadMs);
  }
  return Number.isFinite(due) ? new Date(due) : undefined;
}
