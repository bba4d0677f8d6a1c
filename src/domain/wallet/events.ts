import type { Decimal } from "../money/decimal.js";

export type GrantSource = "PURCHASE" | "PROMOTION" | "ALLOWANCE" | "REFUND" | "ADJUSTMENT";
export type AlertKind = "LOW_BALANCE" | "CREDITS_EXPIRING" | "CREDITS_EXPIRED" | "OVERAGE_STARTED";

/** Part of a debit taken from one grant. */
export type Drawdown = { readonly grantId: string; readonly amount: Decimal };

/** Quantities usage added to one billing period's counters (what `period.<meter>` reads). */
export type PeriodUsage = { readonly periodStart: Date; readonly quantities: readonly { readonly meter: string; readonly quantity: Decimal }[] };

/**
 * Everything that ever happens to a wallet, as immutable facts in the past tense. The wallet's
 * state is never stored as truth: it is these events folded by `evolve`. Each event carries
 * `v`, its schema version, so stored events stay readable when a type gains fields.
 */
export type WalletEvent =
  | { readonly type: "WalletOpened"; readonly v: 1; readonly currency: string; readonly overageLimit: Decimal }
  | {
      readonly type: "CreditsGranted";
      readonly v: 1;
      readonly grantId: string;
      readonly amount: Decimal;
      readonly source: GrantSource;
      readonly expiresAt: Date | undefined;
      readonly priority: number;
      readonly reference: string;
    }
  | {
      readonly type: "FundsReserved";
      readonly v: 1;
      readonly reservationId: string;
      readonly amount: Decimal;
      readonly expiresAt: Date;
      /** The model the hold is for, so its settlement can be rated ("" when none). */
      readonly model: string;
    }
  | {
      readonly type: "ReservationExtended";
      readonly v: 1;
      readonly reservationId: string;
      readonly additional: Decimal;
      readonly expiresAt: Date;
      /** The caller's id for this extension ("" when it gave none), and what it asked for. */
      readonly requestId: string;
      readonly requestFingerprint: string;
    }
  | {
      readonly type: "ReservationSettled";
      readonly v: 1;
      readonly reservationId: string;
      readonly eventId: string;
      readonly charged: Decimal;
      readonly released: Decimal;
      readonly drawdowns: readonly Drawdown[];
      /** Part of the charge no credit funded (see the OverageAccrued that follows). */
      readonly overage: Decimal;
      readonly usage: readonly PeriodUsage[];
      /** UTC day (YYYY-MM-DD) the charge counts against for spend caps; "" in older events. */
      readonly spentOn: string;
    }
  | { readonly type: "ReservationReleased"; readonly v: 1; readonly reservationId: string; readonly released: Decimal; readonly expired: boolean }
  | {
      readonly type: "UsageDebited";
      readonly v: 1;
      readonly amount: Decimal;
      readonly eventIds: readonly string[];
      readonly drawdowns: readonly Drawdown[];
      readonly overage: Decimal;
      readonly usage: readonly PeriodUsage[];
      /** UTC day (YYYY-MM-DD) the charge counts against for spend caps; "" in older events. */
      readonly spentOn: string;
    }
  | { readonly type: "CreditsExpired"; readonly v: 1; readonly grantId: string; readonly amount: Decimal }
  /** Usage beyond credits; `beyondLimit` is the part past the overage limit (nothing funded it). */
  | { readonly type: "OverageAccrued"; readonly v: 1; readonly amount: Decimal; readonly beyondLimit: Decimal }
  | { readonly type: "OverageLimitChanged"; readonly v: 1; readonly overageLimit: Decimal }
  | { readonly type: "AlertsConfigured"; readonly v: 1; readonly thresholds: readonly Decimal[] }
  | {
      readonly type: "BalanceAlertRaised";
      readonly v: 1;
      readonly kind: AlertKind;
      readonly threshold: Decimal;
      readonly available: Decimal;
      /** The grant concerned, for CREDITS_EXPIRING and CREDITS_EXPIRED. */
      readonly grantId: string | undefined;
    };

export type WalletEventType = WalletEvent["type"];
