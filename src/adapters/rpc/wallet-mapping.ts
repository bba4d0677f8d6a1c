import { create } from "@bufbuild/protobuf";
import type { RaisedAlert } from "../../application/wallet/watch-balance.js";
import type { StoredWalletEvent } from "../../application/ports/wallet-store.js";
import { assertNever } from "../../domain/assert.js";
import type { Balance as DomainBalance } from "../../domain/wallet/balance.js";
import type { GrantSource as DomainGrantSource, WalletEvent as DomainWalletEvent } from "../../domain/wallet/events.js";
import { BalanceAlertSchema, BalanceSchema, GrantSource, WalletEventSchema, type Balance, type BalanceAlert, type WalletEvent } from "../../gen/tollgate/v1/wallet_pb.js";
import { money, time } from "./catalog-mapping.js";

const sourceOut: Record<DomainGrantSource, GrantSource> = {
  PURCHASE: GrantSource.PURCHASE,
  PROMOTION: GrantSource.PROMOTION,
  ALLOWANCE: GrantSource.ALLOWANCE,
  REFUND: GrantSource.REFUND,
  ADJUSTMENT: GrantSource.ADJUSTMENT,
};

export function grantSourceIn(value: GrantSource): DomainGrantSource | undefined {
  switch (value) {
    case GrantSource.PURCHASE:
      return "PURCHASE";
    case GrantSource.PROMOTION:
      return "PROMOTION";
    case GrantSource.ALLOWANCE:
      return "ALLOWANCE";
    case GrantSource.REFUND:
      return "REFUND";
    case GrantSource.ADJUSTMENT:
      return "ADJUSTMENT";
    default:
      return undefined;
  }
}

export function balanceOut(customerId: string, b: DomainBalance): Balance {
  const m = (x: Parameters<typeof money>[0]) => money(x, b.currency);
  return create(BalanceSchema, {
    customerId,
    available: m(b.available),
    creditsRemaining: m(b.creditsRemaining),
    reserved: m(b.reserved),
    overageUsed: m(b.overageUsed),
    overageLimit: m(b.overageLimit),
    version: BigInt(b.version),
    grants: b.grants.map((g) => ({
      grantId: g.grantId,
      source: sourceOut[g.source],
      granted: m(g.granted),
      remaining: m(g.remaining),
      ...(g.expiresAt ? { expiresAt: time(g.expiresAt) } : {}),
      priority: g.priority,
    })),
  });
}

export function alertOut(a: RaisedAlert, currency: string): BalanceAlert {
  return create(BalanceAlertSchema, { kind: a.kind, threshold: money(a.threshold, currency), available: money(a.available, currency), at: time(a.at) });
}

function payload(e: DomainWalletEvent, currency: string, at: Date): WalletEvent["payload"] {
  const m = (x: Parameters<typeof money>[0]) => money(x, currency);
  switch (e.type) {
    case "WalletOpened":
      return { case: "walletOpened", value: { $typeName: "tollgate.v1.WalletOpened", currency: e.currency, overageLimit: m(e.overageLimit) } };
    case "CreditsGranted":
      return {
        case: "creditsGranted",
        value: {
          $typeName: "tollgate.v1.CreditsGranted",
          grantId: e.grantId,
          amount: m(e.amount),
          source: sourceOut[e.source],
          ...(e.expiresAt ? { expiresAt: time(e.expiresAt) } : {}),
          priority: e.priority,
          reference: e.reference,
        },
      };
    case "FundsReserved":
      return { case: "fundsReserved", value: { $typeName: "tollgate.v1.FundsReserved", reservationId: e.reservationId, amount: m(e.amount), expiresAt: time(e.expiresAt), model: e.model } };
    case "ReservationExtended":
      return { case: "reservationExtended", value: { $typeName: "tollgate.v1.ReservationExtended", reservationId: e.reservationId, additional: m(e.additional), expiresAt: time(e.expiresAt), requestId: e.requestId } };
    case "ReservationSettled":
      return {
        case: "reservationSettled",
        value: { $typeName: "tollgate.v1.ReservationSettled", reservationId: e.reservationId, charged: m(e.charged), released: m(e.released), overage: m(e.overage), eventId: e.eventId },
      };
    case "ReservationReleased":
      return { case: "reservationReleased", value: { $typeName: "tollgate.v1.ReservationReleased", reservationId: e.reservationId, released: m(e.released), expired: e.expired } };
    case "UsageDebited":
      return {
        case: "usageDebited",
        value: {
          $typeName: "tollgate.v1.UsageDebited",
          amount: m(e.amount),
          eventIds: [...e.eventIds],
          drawdowns: e.drawdowns.map((d) => ({ $typeName: "tollgate.v1.GrantDrawdown" as const, grantId: d.grantId, amount: m(d.amount) })),
          overage: m(e.overage),
        },
      };
    case "CreditsExpired":
      return { case: "creditsExpired", value: { $typeName: "tollgate.v1.CreditsExpired", grantId: e.grantId, amount: m(e.amount) } };
    case "OverageAccrued":
      return { case: "overageAccrued", value: { $typeName: "tollgate.v1.OverageAccrued", amount: m(e.amount), beyondLimit: m(e.beyondLimit) } };
    case "OverageLimitChanged":
      return { case: "overageLimitChanged", value: { $typeName: "tollgate.v1.OverageLimitChanged", overageLimit: m(e.overageLimit) } };
    case "AlertsConfigured":
      return { case: "alertsConfigured", value: { $typeName: "tollgate.v1.AlertsConfigured", thresholds: e.thresholds.map(m) } };
    case "BalanceAlertRaised":
      return {
        case: "balanceAlertRaised",
        value: { $typeName: "tollgate.v1.BalanceAlertRaised", alert: create(BalanceAlertSchema, { kind: e.kind, threshold: m(e.threshold), available: m(e.available), at: time(at) }) },
      };
    default:
      return assertNever(e, "wallet event");
  }
}

export function walletEventOut(stored: StoredWalletEvent, currency: string): WalletEvent {
  return create(WalletEventSchema, { version: BigInt(stored.version), at: time(stored.at), type: stored.event.type, payload: payload(stored.event, currency, stored.at) });
}
