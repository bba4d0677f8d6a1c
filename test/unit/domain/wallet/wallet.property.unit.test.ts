import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { Decimal } from "../../../../src/domain/money/decimal.js";
import type { WalletEvent } from "../../../../src/domain/wallet/events.js";
import { decide, type WalletCommand } from "../../../../src/domain/wallet/wallet.decide.js";
import { available, initialWallet, replay, type Wallet } from "../../../../src/domain/wallet/wallet.js";

const t0 = Date.UTC(2026, 10, 1);
const cents = fc.integer({ min: 0, max: 500 }).map((n) => Decimal.fromUnits(BigInt(n) * 10n ** 16n));
const id = fc.constantFrom("a", "b", "c", "d", "e");
const minute = fc.integer({ min: 0, max: 600 }).map((m) => m * 60_000);

/** Random commands over a small id space, so retries, conflicts and reuse all happen. */
const command = (now: number): fc.Arbitrary<WalletCommand> =>
  fc.oneof(
    fc.record({ grantId: id, amount: cents, priority: fc.integer({ min: 0, max: 2 }), ttl: fc.option(minute, { nil: undefined }) }).map(
      (g): WalletCommand => ({
        type: "GrantCredits",
        grantId: g.grantId,
        amount: g.amount,
        source: "PURCHASE",
        expiresAt: g.ttl === undefined ? undefined : new Date(now + g.ttl + 1),
        priority: g.priority,
        reference: "",
        now: new Date(now),
      }),
    ),
    fc.record({ r: id, amount: cents, ttl: minute }).map((x): WalletCommand => ({ type: "ReserveFunds", reservationId: x.r, amount: x.amount, expiresAt: new Date(now + x.ttl + 1), now: new Date(now) })),
    fc.record({ r: id, amount: cents }).map((x): WalletCommand => ({ type: "SettleReservation", reservationId: x.r, eventId: `e-${x.r}`, charged: x.amount, now: new Date(now) })),
    fc.record({ r: id, amount: cents, ttl: minute }).map((x): WalletCommand => ({ type: "ExtendReservation", reservationId: x.r, additional: x.amount, expiresAt: new Date(now + x.ttl + 1), now: new Date(now) })),
    id.map((r): WalletCommand => ({ type: "ReleaseReservation", reservationId: r, now: new Date(now) })),
    fc.array(cents, { minLength: 1, maxLength: 3 }).map((amounts): WalletCommand => ({ type: "DebitUsage", entries: amounts.map((a, i) => ({ eventId: `u${i}`, amount: a })), now: new Date(now) })),
    fc.constant<WalletCommand>({ type: "ExpireCredits", now: new Date(now) }),
    fc.array(cents, { maxLength: 2 }).map((thresholds): WalletCommand => ({ type: "ConfigureAlerts", thresholds, now: new Date(now) })),
  );

/** A timeline: each step moves the clock forward a little and issues one command. */
const history = fc.array(fc.integer({ min: 0, max: 90 }), { maxLength: 60 }).chain((advances) => {
  let now = t0;
  return fc.tuple(...advances.map((advance) => command((now += advance * 60_000))));
});

function play(commands: readonly WalletCommand[], overageLimit: Decimal) {
  let wallet: Wallet = replay([{ type: "WalletOpened", v: 1, currency: "USD", overageLimit }]);
  const events: WalletEvent[] = [{ type: "WalletOpened", v: 1, currency: "USD", overageLimit }];
  const checks: { before: Wallet; after: Wallet; emitted: WalletEvent[] }[] = [];
  for (const c of commands) {
    const decided = decide(c, wallet);
    if (!decided.ok) continue;
    const next = replay(decided.value, wallet);
    checks.push({ before: wallet, after: next, emitted: decided.value });
    events.push(...decided.value);
    wallet = next;
  }
  return { wallet, events, checks };
}

describe("wallet invariants, for any interleaving of commands", () => {
  const limit = fc.integer({ min: 0, max: 300 }).map((n) => Decimal.fromUnits(BigInt(n) * 10n ** 16n));

  it("replaying the stored events gives the same state as applying them as they happened", () => {
    fc.assert(
      fc.property(history, limit, (commands, overageLimit) => {
        const { wallet, events } = play(commands, overageLimit);
        const replayed = replay(events, initialWallet);
        expect(available(replayed).eq(available(wallet))).toBe(true);
        expect(replayed.version).toBe(events.length);
        expect([...replayed.grants.values()]).toEqual([...wallet.grants.values()]);
        expect([...replayed.holds.keys()]).toEqual([...wallet.holds.keys()]);
      }),
      { numRuns: 200 },
    );
  });

  it("every grant's amount equals what remains plus what was drawn plus what expired", () => {
    fc.assert(
      fc.property(history, limit, (commands, overageLimit) => {
        const { wallet, events } = play(commands, overageLimit);
        for (const grant of wallet.grants.values()) {
          const drawn = Decimal.sum(
            events.flatMap((e) => (e.type === "UsageDebited" || e.type === "ReservationSettled" ? e.drawdowns.filter((x) => x.grantId === grant.grantId).map((x) => x.amount) : [])),
          );
          const expired = Decimal.sum(events.flatMap((e) => (e.type === "CreditsExpired" && e.grantId === grant.grantId ? [e.amount] : [])));
          expect(grant.remaining.plus(drawn).plus(expired).eq(grant.granted)).toBe(true);
          expect(grant.remaining.isNegative()).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("a hold never takes available below zero; only recorded usage can", () => {
    fc.assert(
      fc.property(history, limit, (commands, overageLimit) => {
        for (const { after, emitted } of play(commands, overageLimit).checks) {
          const holdsGrew = emitted.some((e) => e.type === "FundsReserved" || (e.type === "ReservationExtended" && e.additional.isPositive()));
          if (holdsGrew) expect(available(after).isNegative()).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("all charged usage is accounted for: drawn from credits or recorded as overage", () => {
    fc.assert(
      fc.property(history, limit, (commands, overageLimit) => {
        const { wallet, events } = play(commands, overageLimit);
        const charged = Decimal.sum(events.flatMap((e) => (e.type === "UsageDebited" ? [e.amount] : e.type === "ReservationSettled" ? [e.charged] : [])));
        const drawn = Decimal.sum(events.flatMap((e) => (e.type === "UsageDebited" || e.type === "ReservationSettled" ? e.drawdowns.map((x) => x.amount) : [])));
        expect(drawn.plus(wallet.overageUsed).eq(charged)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
