import { assert, assertNever } from "../../domain/assert.js";
import type { Decimal } from "../../domain/money/decimal.js";
import type { AlertKind, Drawdown, GrantSource, PeriodUsage, WalletEvent } from "../../domain/wallet/events.js";
import { initialWallet, walletFromParts, type ClosedHold, type Grant, type Hold, type Wallet } from "../../domain/wallet/wallet.js";
import { decimalFromDb } from "./decimal-column.js";

/**
 * Wallet events and snapshots as JSON: decimals as exact strings, times as ISO strings. The
 * encoding is explicit per type (never a generic object dump) so a stored event reads back into
 * exactly the typed record it was, and old `v` versions can be upgraded here.
 */
type Json = Record<string, unknown>;

const dec = (value: unknown): Decimal => {
  assert(typeof value === "string", `expected a decimal string, got ${JSON.stringify(value)}`);
  return decimalFromDb(value);
};
const date = (value: unknown): Date => {
  assert(typeof value === "string", `expected a time string, got ${JSON.stringify(value)}`);
  return new Date(value);
};
const optionalDate = (value: unknown): Date | undefined => (value === null || value === undefined ? undefined : date(value));
const str = (value: unknown): string => {
  assert(typeof value === "string", `expected a string, got ${JSON.stringify(value)}`);
  return value;
};
/** Events written before period counters existed carry none. */
const periodUsage = (value: unknown): PeriodUsage[] =>
  ((value ?? []) as Json[]).map((u) => ({
    periodStart: date(u["periodStart"]),
    quantities: (u["quantities"] as Json[]).map((q) => ({ meter: str(q["meter"]), quantity: dec(q["quantity"]) })),
  }));
const drawdowns = (value: unknown): Drawdown[] => (value as Json[]).map((d) => ({ grantId: str(d["grantId"]), amount: dec(d["amount"]) }));


export function decodeWalletEvent(type: string, p: Json): WalletEvent {
  const t = type as WalletEvent["type"];
  switch (t) {
    case "WalletOpened":
      return { type: t, v: 1, currency: str(p["currency"]), overageLimit: dec(p["overageLimit"]) };
    case "CreditsGranted":
      return {
        type: t,
        v: 1,
        grantId: str(p["grantId"]),
        amount: dec(p["amount"]),
        source: str(p["source"]) as GrantSource,
        expiresAt: optionalDate(p["expiresAt"]),
        priority: Number(p["priority"]),
        reference: str(p["reference"] ?? ""),
      };
    case "FundsReserved":
      return { type: t, v: 1, reservationId: str(p["reservationId"]), amount: dec(p["amount"]), expiresAt: date(p["expiresAt"]), model: str(p["model"] ?? "") };
    case "ReservationExtended":
      return {
        type: t,
        v: 1,
        reservationId: str(p["reservationId"]),
        additional: dec(p["additional"]),
        expiresAt: date(p["expiresAt"]),
        // Absent from extensions written before extensions carried request ids.
        requestId: str(p["requestId"] ?? ""),
        requestFingerprint: str(p["requestFingerprint"] ?? ""),
      };
    case "ReservationSettled":
      return {
        type: t,
        v: 1,
        reservationId: str(p["reservationId"]),
        eventId: str(p["eventId"]),
        charged: dec(p["charged"]),
        released: dec(p["released"]),
        drawdowns: drawdowns(p["drawdowns"]),
        overage: dec(p["overage"]),
        usage: periodUsage(p["usage"]),
        spentOn: str(p["spentOn"] ?? ""),
      };
    case "ReservationReleased":
      return { type: t, v: 1, reservationId: str(p["reservationId"]), released: dec(p["released"]), expired: p["expired"] === true };
    case "UsageDebited":
      return {
        type: t,
        v: 1,
        amount: dec(p["amount"]),
        eventIds: (p["eventIds"] as unknown[]).map(str),
        drawdowns: drawdowns(p["drawdowns"]),
        overage: dec(p["overage"]),
        usage: periodUsage(p["usage"]),
        spentOn: str(p["spentOn"] ?? ""),
      };
    case "CreditsExpired":
      return { type: t, v: 1, grantId: str(p["grantId"]), amount: dec(p["amount"]) };
    case "OverageAccrued":
      return { type: t, v: 1, amount: dec(p["amount"]), beyondLimit: dec(p["beyondLimit"]) };
    case "OverageLimitChanged":
      return { type: t, v: 1, overageLimit: dec(p["overageLimit"]) };
    case "AlertsConfigured":
      return { type: t, v: 1, thresholds: (p["thresholds"] as unknown[]).map(dec) };
    case "BalanceAlertRaised":
      return {
        type: t,
        v: 1,
        kind: str(p["kind"]) as AlertKind,
        threshold: dec(p["threshold"]),
        available: dec(p["available"]),
        grantId: p["grantId"] === undefined || p["grantId"] === null ? undefined : str(p["grantId"]),
      };
    default:
      return assertNever(t, "stored wallet event type");
  }
}



export function decodeWalletState(s: Json): Wallet {
  const grants = (s["grants"] as Json[]).map(
    (g): Grant => ({
      grantId: str(g["grantId"]),
      source: str(g["source"]) as GrantSource,
      granted: dec(g["granted"]),
      remaining: dec(g["remaining"]),
      expiresAt: optionalDate(g["expiresAt"]),
      priority: Number(g["priority"]),
      reference: str(g["reference"] ?? ""),
      seq: Number(g["seq"]),
      expired: g["expired"] === true,
      expiryWarned: g["expiryWarned"] === true,
    }),
  );
  const holds = (s["holds"] as Json[]).map(
    (h): Hold => ({
      reservationId: str(h["reservationId"]),
      amount: dec(h["amount"]),
      expiresAt: date(h["expiresAt"]),
      model: str(h["model"] ?? ""),
      extensions: ((h["extensions"] ?? []) as Json[]).map((x) => ({ requestId: str(x["requestId"]), fingerprint: str(x["fingerprint"]) })),
    }),
  );
  const closedHolds = (s["closedHolds"] as [string, Json][]).map(([id, c]): [string, ClosedHold] => [
    id,
    c["kind"] === "settled"
      ? { kind: "settled", eventId: str(c["eventId"]), charged: dec(c["charged"]), released: dec(c["released"]), overage: dec(c["overage"]), model: str(c["model"] ?? "") }
      : { kind: "released", released: dec(c["released"]), expired: c["expired"] === true, model: str(c["model"] ?? "") },
  ]);
  return walletFromParts({
    version: Number(s["version"]),
    opened: s["opened"] === true,
    currency: str(s["currency"]),
    overageLimit: dec(s["overageLimit"]),
    overageUsed: dec(s["overageUsed"]),
    grants: grants.sort((a, b) => a.seq - b.seq),
    holds,
    closedHolds,
    thresholds: (s["thresholds"] as unknown[]).map(dec),
    periodUsage: periodUsage(s["periodUsage"]),
    spend: s["spend"]
      ? {
          day: str((s["spend"] as Json)["day"]),
          dayTotal: dec((s["spend"] as Json)["dayTotal"]),
          month: str((s["spend"] as Json)["month"]),
          monthTotal: dec((s["spend"] as Json)["monthTotal"]),
        }
      : initialWallet.spend,
    // A snapshot from before the total existed starts it at zero: charges made before that
    // snapshot are not counted (only trial limits read it).
    chargedTotal: s["chargedTotal"] === undefined ? initialWallet.chargedTotal : dec(s["chargedTotal"]),
  });
}
