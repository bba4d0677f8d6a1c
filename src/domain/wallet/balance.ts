import { expiryDue, expiryFirst } from "../collections/expiry-index.js";
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
  let due = expiryFirst(w.holdExpiries) ?? Number.POSITIVE_INFINITY;
  // Grants not yet warned are due at their warning time; the soonest of those is at most
  // leadMs before the soonest expiry, so only grants expiring before `due + leadMs` matter.
  for (const grantId of expiryDue(w.grantExpiries, due === Number.POSITIVE_INFINITY ? Number.MAX_SAFE_INTEGER : due + leadMs)) {
    const g = w.grants.get(grantId);
    if (!g || g.expiresAt === undefined) continue;
    due = Math.min(due, g.expiryWarned ? g.expiresAt.getTime() : g.expiresAt.getTime() - leadMs);
  }
  return Number.isFinite(due) ? new Date(due) : undefined;
}
