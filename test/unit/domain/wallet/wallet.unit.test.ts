import { describe, expect, it } from "@jest/globals";
import { Decimal } from "../../../../src/domain/money/decimal.js";
import type { WalletEvent } from "../../../../src/domain/wallet/events.js";
import { decide, utcDay, type WalletCommand } from "../../../../src/domain/wallet/wallet.decide.js";
import { available, creditsRemaining, initialWallet, replay, reserved, walletParts, type Wallet } from "../../../../src/domain/wallet/wallet.js";
import { limits } from "../../../../src/domain/limits.js";
import { decodeWalletState } from "../../../../src/adapters/postgres/wallet-codec.js";

const d = (text: string): Decimal => {
  const parsed = Decimal.parse(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const t0 = new Date("2026-11-01T00:00:00Z");
const after = (ms: number) => new Date(t0.getTime() + ms);
const hour = 3_600_000;

/** Applies commands in order, failing the test on any rejection; returns state and all events. */
function run(commands: WalletCommand[], from: Wallet = initialWallet): { wallet: Wallet; events: WalletEvent[] } {
  let wallet = from;
  const events: WalletEvent[] = [];
  for (const c of commands) {
    const decided = decide(c, wallet);
    if (!decided.ok) throw new Error(`${c.type} rejected: ${decided.error}`);
    events.push(...decided.value);
    wallet = replay(decided.value, wallet);
  }
  return { wallet, events };
}

const open = (overageLimit = "0"): WalletCommand => ({ type: "OpenWallet", currency: "USD", overageLimit: d(overageLimit), now: t0 });
const grant = (grantId: string, amount: string, extra: Partial<Extract<WalletCommand, { type: "GrantCredits" }>> = {}): WalletCommand => ({
  type: "GrantCredits",
  grantId,
  amount: d(amount),
  source: "PURCHASE",
  expiresAt: undefined,
  priority: 0,
  reference: "",
  now: t0,
  ...extra,
});
const reserve = (reservationId: string, amount: string, now = t0, ttl = hour): WalletCommand => ({ type: "ReserveFunds", reservationId, amount: d(amount), expiresAt: new Date(now.getTime() + ttl), now });
const settle = (reservationId: string, charged: string, now = t0): WalletCommand => ({ type: "SettleReservation", reservationId, eventId: `ev-${reservationId}`, charged: d(charged), now });

describe("a prepaid wallet", () => {
  it("draws down by priority, then soonest expiry, then oldest grant", () => {
    const { wallet, events } = run([
      open(),
      grant("old", "1"),
      grant("newer", "1"),
      grant("expiring", "1", { expiresAt: after(10 * hour) }),
      grant("promo", "1", { priority: 5, source: "PROMOTION" }),
      { type: "DebitUsage", entries: [{ eventId: "e1", amount: d("3.5") }], now: t0 },
    ]);
    const debit = events.find((e) => e.type === "UsageDebited");
    expect(debit?.type === "UsageDebited" && debit.drawdowns.map((x) => [x.grantId, x.amount.toString()])).toEqual([
      ["promo", "1"],
      ["expiring", "1"],
      ["old", "1"],
      ["newer", "0.5"],
    ]);
    expect(creditsRemaining(wallet).toString()).toBe("0.5");
  });

  it("keeps one Date for holds that expire in the same millisecond, and their own otherwise", () => {
    const { wallet } = run([open(), grant("g", "1"), reserve("r1", "0.1"), reserve("r2", "0.1"), reserve("r3", "0.1", after(1))]);
    const [r1, r2, r3] = ["r1", "r2", "r3"].map((id) => wallet.holds.get(id)?.expiresAt);
    expect(r2).toBe(r1);
    expect(r3).not.toBe(r1);
    expect(r3?.getTime()).toBe(after(1 + hour).getTime());
  });

  it("holds funds, and refuses a hold larger than what is available", () => {
    const { wallet } = run([open(), grant("g", "1"), reserve("r1", "0.6")]);
    expect(available(wallet).toString()).toBe("0.4");
    expect(decide(reserve("r2", "0.5"), wallet)).toEqual({ ok: false, error: "INSUFFICIENT_FUNDS" });
    expect(decide(reserve("r1", "0.6"), wallet)).toEqual({ ok: true, value: [] });
  });

  it("settles a hold at the actual charge and releases the rest", () => {
    const { wallet, events } = run([open(), grant("g", "1"), reserve("r", "0.5"), settle("r", "0.2")]);
    const settled = events.find((e) => e.type === "ReservationSettled");
    expect(settled?.type === "ReservationSettled" && [settled.charged.toString(), settled.released.toString()]).toEqual(["0.2", "0.3"]);
    expect(available(wallet).toString()).toBe("0.8");
    expect(reserved(wallet).isZero()).toBe(true);
    // A retried settlement changes nothing; a different one for the same hold is refused.
    expect(decide(settle("r", "0.2"), wallet)).toEqual({ ok: true, value: [] });
    expect(decide(settle("r", "0.3"), wallet)).toEqual({ ok: false, error: "SETTLEMENT_CONFLICT" });
  });

  it("records usage beyond every fund as overage beyond the limit and says so", () => {
    const { wallet, events } = run([open("0.5"), grant("g", "1"), reserve("r", "1"), settle("r", "2")]);
    const accrued = events.find((e) => e.type === "OverageAccrued");
    expect(accrued?.type === "OverageAccrued" && [accrued.amount.toString(), accrued.beyondLimit.toString()]).toEqual(["1", "0.5"]);
    expect(available(wallet).toString()).toBe("-0.5");
    const alerts = events.filter((e) => e.type === "BalanceAlertRaised").map((e) => e.type === "BalanceAlertRaised" && [e.kind, e.threshold.toString()]);
    expect(alerts).toEqual([
      ["OVERAGE_STARTED", "0"],
      ["OVERAGE_STARTED", "0.5"],
    ]);
  });

  it("still records usage committed after its hold lapsed", () => {
    const later = after(2 * hour);
    const { wallet, events } = run([open(), grant("g", "1"), reserve("r", "0.5"), settle("r", "0.3", later)]);
    expect(events.map((e) => e.type)).toEqual(["WalletOpened", "CreditsGranted", "FundsReserved", "ReservationReleased", "ReservationSettled"]);
    expect(creditsRemaining(wallet).toString()).toBe("0.7");
    expect(reserved(wallet).isZero()).toBe(true);
  });

  it("returns a lapsed hold's funds before deciding the next command", () => {
    const { wallet } = run([open(), grant("g", "1"), reserve("r1", "1")]);
    expect(decide(reserve("r2", "1", after(30 * 60_000)), wallet)).toEqual({ ok: false, error: "INSUFFICIENT_FUNDS" });
    const later = decide(reserve("r2", "1", after(2 * hour)), wallet);
    expect(later.ok && later.value.map((e) => e.type)).toEqual(["ReservationReleased", "FundsReserved"]);
  });

  it("expires what is left of a grant at its expiry, with an alert", () => {
    const { wallet } = run([open(), grant("g", "1", { expiresAt: after(hour) }), { type: "DebitUsage", entries: [{ eventId: "e", amount: d("0.25") }], now: t0 }]);
    const expired = decide({ type: "ExpireCredits", now: after(hour) }, wallet);
    expect(expired.ok && expired.value.map((e) => (e.type === "CreditsExpired" ? `expired ${e.amount.toString()}` : e.type === "BalanceAlertRaised" ? e.kind : e.type))).toEqual([
      "expired 0.75",
      "CREDITS_EXPIRED",
    ]);
    expect(decide({ type: "ExpireCredits", now: after(hour) }, replay(expired.ok ? expired.value : [], wallet))).toEqual({ ok: true, value: [] });
  });

  it("warns once about credits expiring within the lead time", () => {
    const { wallet } = run([open(), grant("g", "1", { expiresAt: after(48 * hour) })]);
    const early = decide({ type: "WarnExpiringCredits", leadMs: 24 * hour, now: t0 }, wallet);
    expect(early).toEqual({ ok: true, value: [] });
    const warned = run([{ type: "WarnExpiringCredits", leadMs: 24 * hour, now: after(30 * hour) }], wallet);
    expect(warned.events.map((e) => e.type === "BalanceAlertRaised" && e.kind)).toEqual(["CREDITS_EXPIRING"]);
    expect(decide({ type: "WarnExpiringCredits", leadMs: 24 * hour, now: after(31 * hour) }, warned.wallet)).toEqual({ ok: true, value: [] });
  });

  it("raises LOW_BALANCE once per downward crossing of a threshold", () => {
    const { wallet } = run([open(), grant("g", "10"), { type: "ConfigureAlerts", thresholds: [d("5"), d("2")], now: t0 }]);
    const step = (id: string, amount: string, w: Wallet) => run([{ type: "DebitUsage", entries: [{ eventId: id, amount: d(amount) }], now: t0 }], w);
    const first = step("a", "6", wallet); // 10 -> 4 crosses 5
    const second = step("b", "1", first.wallet); // 4 -> 3 crosses nothing
    const third = step("c", "2", second.wallet); // 3 -> 1 crosses 2
    const kinds = (events: WalletEvent[]) => events.flatMap((e) => (e.type === "BalanceAlertRaised" ? [`${e.kind} ${e.threshold.toString()}`] : []));
    expect(kinds(first.events)).toEqual(["LOW_BALANCE 5"]);
    expect(kinds(second.events)).toEqual([]);
    expect(kinds(third.events)).toEqual(["LOW_BALANCE 2"]);
  });

  it("treats a repeated grant as a retry and a changed one as a conflict", () => {
    const { wallet } = run([open(), grant("g", "1")]);
    expect(decide(grant("g", "1"), wallet)).toEqual({ ok: true, value: [] });
    expect(decide(grant("g", "2"), wallet)).toEqual({ ok: false, error: "GRANT_ID_CONFLICT" });
    expect(decide(grant("h", "1", { expiresAt: t0 }), wallet)).toEqual({ ok: false, error: "EXPIRY_NOT_IN_FUTURE" });
    expect(decide(grant("h", "0"), wallet)).toEqual({ ok: false, error: "AMOUNT_NOT_POSITIVE" });
  });

  it("applies an extension with a request id once: a retry adds nothing, another request under that id is a conflict", () => {
    const extend = (requestId: string, amount: string, fingerprint = `ask ${amount}`): WalletCommand => ({
      type: "ExtendReservation",
      reservationId: "h",
      additional: d(amount),
      expiresAt: after(2 * hour),
      requestId,
      requestFingerprint: fingerprint,
      now: t0,
    });
    const { wallet, events } = run([open(), grant("g", "1"), reserve("h", "0.1"), extend("x1", "0.2")]);
    expect(events.at(-1)).toMatchObject({ type: "ReservationExtended", requestId: "x1", requestFingerprint: "ask 0.2" });
    expect(reserved(wallet).toString()).toBe("0.3");
    expect(decide(extend("x1", "0.2"), wallet)).toEqual({ ok: true, value: [] });
    expect(decide(extend("x1", "0.5"), wallet)).toEqual({ ok: false, error: "EXTENSION_CONFLICT" });
    // Without a request id every extension applies; the hold remembers its ids through a snapshot.
    expect(run([extend("", "0.1"), extend("", "0.1")], wallet).wallet.reserved.toString()).toBe("0.5");
    const restored = decodeWalletState(JSON.parse(JSON.stringify(walletParts(wallet))) as Record<string, unknown>);
    expect(restored.holds.get("h")?.extensions).toEqual([{ requestId: "x1", fingerprint: "ask 0.2" }]);
    expect(decide(extend("x1", "0.2"), restored)).toEqual({ ok: true, value: [] });
  });

  it("remembers the most recent extension ids of a hold, up to the limit", () => {
    let { wallet } = run([open(), grant("g", "1000"), reserve("h", "0")]);
    const extend = (i: number): WalletCommand => ({ type: "ExtendReservation", reservationId: "h", additional: d("0.001"), expiresAt: after(hour), requestId: `x${i}`, requestFingerprint: "f", now: t0 });
    for (let i = 0; i < limits.holdExtensionIdsMax + 5; i++) wallet = run([extend(i)], wallet).wallet;
    const ids = wallet.holds.get("h")?.extensions.map((x) => x.requestId) ?? [];
    expect(ids).toHaveLength(limits.holdExtensionIdsMax);
    expect(ids[0]).toBe("x5");
    expect(decide(extend(limits.holdExtensionIdsMax + 4), wallet)).toEqual({ ok: true, value: [] });
  });

  it("counts spend on the UTC day of each command, across midnight and back", () => {
    expect(utcDay(new Date("2026-12-01T23:59:59.999Z"))).toBe("2026-12-01");
    expect(utcDay(new Date("2026-12-02T00:00:00.000Z"))).toBe("2026-12-02");
    expect(utcDay(new Date("2026-12-01T12:00:00.000Z"))).toBe("2026-12-01");
    expect(utcDay(new Date("1969-12-31T23:00:00.000Z"))).toBe("1969-12-31");
  });

  it("refuses everything before it is opened", () => {
    expect(decide(grant("g", "1"), initialWallet)).toEqual({ ok: false, error: "WALLET_NOT_OPEN" });
  });
});
