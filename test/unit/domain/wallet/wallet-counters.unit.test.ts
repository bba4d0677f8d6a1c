import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { limits } from "../../../../src/domain/limits.js";
import { Decimal } from "../../../../src/domain/money/decimal.js";
import type { PeriodUsage, WalletEvent } from "../../../../src/domain/wallet/events.js";
import { decide, type HoldGuards, type WalletCommand } from "../../../../src/domain/wallet/wallet.decide.js";
import { initialWallet, periodUsageOf, replay, spentOn, walletFromParts, walletParts, type Wallet } from "../../../../src/domain/wallet/wallet.js";

const d = (text: string): Decimal => {
  const parsed = Decimal.parse(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const at = (iso: string): Date => new Date(iso);
const hour = 3_600_000;
const day = 24 * hour;
const t0 = at("2026-03-03T10:00:00Z");

/** Applies commands in order, failing the test on any rejection; returns state and all events. */
function run(commands: readonly WalletCommand[], from: Wallet = initialWallet): { wallet: Wallet; events: WalletEvent[] } {
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

const open = (now = t0): WalletCommand => ({ type: "OpenWallet", currency: "USD", overageLimit: Decimal.ZERO, now });
const grant = (amount: string, now = t0): WalletCommand => ({ type: "GrantCredits", grantId: "g", amount: d(amount), source: "PURCHASE", expiresAt: undefined, priority: 0, reference: "", now });
/** A funded wallet: 100 of credit from the start of the year. */
const funded = (): Wallet => run([open(at("2026-01-01T00:00:00Z")), grant("100", at("2026-01-01T00:00:00Z"))]).wallet;

/** Usage of one period as meter → quantity text. */
const periodUsage = (periodStart: string, quantities: Record<string, string>): PeriodUsage => ({
  periodStart: at(periodStart),
  quantities: Object.entries(quantities).map(([meter, q]) => ({ meter, quantity: d(q) })),
});

let eventSeq = 0;
const debit = (amount: string, now: Date, usage?: readonly PeriodUsage[]): WalletCommand => ({
  type: "DebitUsage",
  entries: [{ eventId: `e${++eventSeq}`, amount: d(amount) }],
  ...(usage === undefined ? {} : { usage }),
  now,
});
const noGuards: HoldGuards = { dailySpendCap: Decimal.ZERO, monthlySpendCap: Decimal.ZERO, maxOpenHolds: 0 };
const reserve = (reservationId: string, amount: string, now: Date, guards: Partial<HoldGuards> = {}, ttl = hour): WalletCommand => ({
  type: "ReserveFunds",
  reservationId,
  amount: d(amount),
  expiresAt: new Date(now.getTime() + ttl),
  guards: { ...noGuards, ...guards },
  now,
});
const settle = (reservationId: string, charged: string, now: Date, usage?: readonly PeriodUsage[]): WalletCommand => ({
  type: "SettleReservation",
  reservationId,
  eventId: `ev-${reservationId}`,
  charged: d(charged),
  ...(usage === undefined ? {} : { usage }),
  now,
});
const release = (reservationId: string, now: Date): WalletCommand => ({ type: "ReleaseReservation", reservationId, now });

/** A period's counters as meter → quantity text, sorted by meter. */
const countersOf = (w: Wallet, periodStart: string): Record<string, string> =>
  Object.fromEntries([...periodUsageOf(w, at(periodStart))].sort(([a], [b]) => a.localeCompare(b)).map(([meter, q]) => [meter, q.toString()]));
/** The period starts the wallet keeps counters for, ascending. */
const keptPeriods = (w: Wallet): string[] => walletParts(w).periodUsage.map((u) => u.periodStart.toISOString());
const spendText = (w: Wallet, utcDay: string) => {
  const s = spentOn(w, utcDay);
  return { day: s.day.toString(), month: s.month.toString() };
};

describe("period counters: what period.<meter> reads", () => {
  it("adds the usage of debits and settlements to their period, meter by meter", () => {
    // Given a funded wallet,
    const { wallet } = run(
      [
        // when a batch adds 1000 in / 200 out to March,
        debit("0.5", t0, [periodUsage("2026-03-01T00:00:00Z", { input_tokens: "1000", output_tokens: "200" })]),
        // another adds 500 in to March,
        debit("0.1", t0, [periodUsage("2026-03-01T00:00:00Z", { input_tokens: "500" })]),
        // and a settled hold adds 250.5 in to March and 40 images,
        reserve("r", "1", t0),
        settle("r", "0.3", t0, [periodUsage("2026-03-01T00:00:00Z", { input_tokens: "250.5", images: "40" })]),
      ],
      funded(),
    );
    // then March holds the sums: 1000 + 500 + 250.5 in, 200 out, 40 images.
    expect(countersOf(wallet, "2026-03-01T00:00:00Z")).toEqual({ images: "40", input_tokens: "1750.5", output_tokens: "200" });
  });

  it("keeps each period apart, including one batch that spans two periods", () => {
    const { wallet } = run(
      [
        debit("0.5", t0, [periodUsage("2026-02-01T00:00:00Z", { input_tokens: "300" }), periodUsage("2026-03-01T00:00:00Z", { input_tokens: "700" })]),
        // A plan change on the 15th starts a new period with its own counters.
        debit("0.5", at("2026-03-16T00:00:00Z"), [periodUsage("2026-03-15T00:00:00Z", { input_tokens: "11" })]),
      ],
      funded(),
    );
    expect(countersOf(wallet, "2026-02-01T00:00:00Z")).toEqual({ input_tokens: "300" });
    expect(countersOf(wallet, "2026-03-01T00:00:00Z")).toEqual({ input_tokens: "700" });
    expect(countersOf(wallet, "2026-03-15T00:00:00Z")).toEqual({ input_tokens: "11" });
  });

  it("reads a period without usage, or a start that is not a period start, as empty", () => {
    const { wallet } = run([debit("0.5", t0, [periodUsage("2026-03-01T00:00:00Z", { input_tokens: "1000" })])], funded());
    expect(countersOf(wallet, "2026-04-01T00:00:00Z")).toEqual({});
    expect(countersOf(wallet, "2026-03-01T00:00:00.001Z")).toEqual({});
  });

  it("a debit or settlement without usage leaves the counters as they were", () => {
    const { wallet } = run(
      [debit("0.5", t0, [periodUsage("2026-03-01T00:00:00Z", { input_tokens: "1000" })]), debit("0.5", t0), reserve("r", "1", t0), settle("r", "0.2", t0)],
      funded(),
    );
    expect(countersOf(wallet, "2026-03-01T00:00:00Z")).toEqual({ input_tokens: "1000" });
    expect(keptPeriods(wallet)).toEqual(["2026-03-01T00:00:00.000Z"]);
  });

  it("replaying the stored events, or loading a snapshot, gives the same counters", () => {
    const { wallet, events } = run(
      [
        open(at("2026-01-01T00:00:00Z")),
        grant("100", at("2026-01-01T00:00:00Z")),
        debit("0.5", t0, [periodUsage("2026-02-01T00:00:00Z", { input_tokens: "300" }), periodUsage("2026-03-01T00:00:00Z", { input_tokens: "700", output_tokens: "9" })]),
        reserve("r", "1", t0),
        settle("r", "0.3", t0, [periodUsage("2026-03-01T00:00:00Z", { input_tokens: "1" })]),
      ],
      initialWallet,
    );
    const replayed = replay(events, initialWallet);
    const restored = walletFromParts(walletParts(wallet));
    for (const w of [replayed, restored]) {
      expect(countersOf(w, "2026-02-01T00:00:00Z")).toEqual({ input_tokens: "300" });
      expect(countersOf(w, "2026-03-01T00:00:00Z")).toEqual({ input_tokens: "701", output_tokens: "9" });
      expect(keptPeriods(w)).toEqual(keptPeriods(wallet));
    }
  });

  describe(`pruning: periods more than ${limits.usagePeriodsKeptDays} days before the newest are forgotten`, () => {
    it("keeps a period exactly 125 days before the newest and drops it once it is 126 days before", () => {
      expect(limits.usagePeriodsKeptDays).toBe(125);
      // Daily periods: 2026-01-01 and 2026-01-02, then 2026-05-06 (= 2026-01-01 + 125 days), then 2026-05-07.
      const first = run(
        [
          debit("0", t0, [periodUsage("2026-01-01T00:00:00Z", { input_tokens: "1" })]),
          debit("0", t0, [periodUsage("2026-01-02T00:00:00Z", { input_tokens: "2" })]),
          debit("0", t0, [periodUsage("2026-05-06T00:00:00Z", { input_tokens: "3" })]),
        ],
        funded(),
      ).wallet;
      expect(keptPeriods(first)).toEqual(["2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z", "2026-05-06T00:00:00.000Z"]);
      const later = run([debit("0", t0, [periodUsage("2026-05-07T00:00:00Z", { input_tokens: "4" })])], first).wallet;
      // 2026-05-07 − 125 days = 2026-01-02: the 1st is older and goes, the 2nd is exactly at the bound and stays.
      expect(keptPeriods(later)).toEqual(["2026-01-02T00:00:00.000Z", "2026-05-06T00:00:00.000Z", "2026-05-07T00:00:00.000Z"]);
      expect(countersOf(later, "2026-01-01T00:00:00Z")).toEqual({});
      expect(countersOf(later, "2026-01-02T00:00:00Z")).toEqual({ input_tokens: "2" });
    });

    it("drops a monthly period when a period more than 125 days after it begins", () => {
      const months = ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"];
      const { wallet } = run(
        months.map((m) => debit("0", t0, [periodUsage(`${m}T00:00:00Z`, { input_tokens: "1" })])),
        funded(),
      );
      // 2026-05-01 − 125 days = 2025-12-27: January stays.
      expect(keptPeriods(wallet)).toEqual(months.map((m) => `${m}T00:00:00.000Z`));
      // 2026-07-01 − 125 days = 2026-02-26: January and February go, March stays.
      const july = run([debit("0", t0, [periodUsage("2026-07-01T00:00:00Z", { input_tokens: "1" })])], wallet).wallet;
      expect(keptPeriods(july)).toEqual(["2026-03-01T00:00:00.000Z", "2026-04-01T00:00:00.000Z", "2026-05-01T00:00:00.000Z", "2026-07-01T00:00:00.000Z"]);
    });

    it("keeps a month's counters for as long as a late event in that month can still be accepted", () => {
      // limits.usagePeriodsKeptDays "covers the longest lateness window accepted" (latenessWindowDaysMax = 90).
      // Given January's usage recorded, and May's first usage recorded at 2026-05-01T00:30Z,
      const { wallet } = run(
        [
          debit("0", at("2026-01-31T12:00:00Z"), [periodUsage("2026-01-01T00:00:00Z", { input_tokens: "900" })]),
          debit("0", at("2026-05-01T00:30:00Z"), [periodUsage("2026-05-01T00:00:00Z", { input_tokens: "1" })]),
        ],
        funded(),
      );
      // then an event from 2026-01-31T12:00Z, 89 days 12.5 hours old at that moment, can still be accepted under the
      // longest lateness window an operator may configure (90 days), and it is rated in January's period: its
      // period.input_tokens must still read January's 900.
      const lateEventAge = at("2026-05-01T00:30:00Z").getTime() - at("2026-01-31T12:00:00Z").getTime();
      expect(lateEventAge).toBeLessThanOrEqual(limits.latenessWindowDaysMax * day);
      expect(countersOf(wallet, "2026-01-01T00:00:00Z")).toEqual({ input_tokens: "900" });
    });

    it("a snapshot gives the same counters as replaying the events, even after late usage in a period already forgotten", () => {
      const { wallet, events } = run(
        [
          open(at("2026-01-01T00:00:00Z")),
          grant("100", at("2026-01-01T00:00:00Z")),
          debit("0", at("2026-01-31T12:00:00Z"), [periodUsage("2026-01-01T00:00:00Z", { input_tokens: "900" })]),
          debit("0", at("2026-05-01T00:30:00Z"), [periodUsage("2026-05-01T00:00:00Z", { input_tokens: "1" })]),
          // late usage for January arrives after May began
          debit("0", at("2026-05-01T01:00:00Z"), [periodUsage("2026-01-01T00:00:00Z", { input_tokens: "100" })]),
        ],
        initialWallet,
      );
      const restored = walletFromParts(walletParts(wallet));
      expect(keptPeriods(restored)).toEqual(keptPeriods(wallet));
      expect(keptPeriods(replay(events, initialWallet))).toEqual(keptPeriods(wallet));
      expect(countersOf(restored, "2026-01-01T00:00:00Z")).toEqual(countersOf(wallet, "2026-01-01T00:00:00Z"));
    });
  });
});

describe("spend windows: what was charged on the current UTC day and month", () => {
  it("adds debits of the same day, and starts a new day total at midnight UTC while the month continues", () => {
    const { wallet } = run([debit("2", at("2026-03-03T00:00:00Z")), debit("3", at("2026-03-03T23:59:59.999Z"))], funded());
    expect(spendText(wallet, "2026-03-03")).toEqual({ day: "5", month: "5" });
    const next = run([debit("1", at("2026-03-04T00:00:00Z"))], wallet).wallet;
    expect(spendText(next, "2026-03-04")).toEqual({ day: "1", month: "6" });
    // Only the latest day is kept: the 3rd is no longer known.
    expect(spendText(next, "2026-03-03")).toEqual({ day: "0", month: "6" });
    expect(next.spend).toEqual({ day: "2026-03-04", dayTotal: d("1"), month: "2026-03", monthTotal: d("6") });
  });

  it("starts a new month total on the 1st", () => {
    const { wallet } = run([debit("2", at("2026-03-31T23:00:00Z")), debit("4", at("2026-04-01T00:00:00Z"))], funded());
    expect(spendText(wallet, "2026-04-01")).toEqual({ day: "4", month: "4" });
    expect(spendText(wallet, "2026-03-31")).toEqual({ day: "0", month: "0" });
    // A month later on the same day of the month is a different window too.
    expect(spendText(wallet, "2026-05-01")).toEqual({ day: "0", month: "0" });
  });

  it("counts a debit on the UTC day of the command's time, whatever the caller's time zone", () => {
    const { wallet, events } = run([debit("2", at("2026-03-03T23:30:00-05:00"))], funded());
    const debited = events.find((e) => e.type === "UsageDebited");
    expect(debited?.type === "UsageDebited" && debited.spentOn).toBe("2026-03-04");
    expect(spendText(wallet, "2026-03-04")).toEqual({ day: "2", month: "2" });
  });

  it("counts a settled charge on the day it is settled, and a released hold not at all", () => {
    const { wallet, events } = run(
      [
        reserve("late", "1", at("2026-03-03T23:30:00Z"), {}, 2 * hour),
        settle("late", "0.7", at("2026-03-04T00:10:00Z")),
        reserve("unused", "5", at("2026-03-04T00:20:00Z")),
        release("unused", at("2026-03-04T00:30:00Z")),
      ],
      funded(),
    );
    const settled = events.find((e) => e.type === "ReservationSettled");
    expect(settled?.type === "ReservationSettled" && settled.spentOn).toBe("2026-03-04");
    expect(spendText(wallet, "2026-03-04")).toEqual({ day: "0.7", month: "0.7" });
    expect(spendText(wallet, "2026-03-03")).toEqual({ day: "0", month: "0.7" });
  });

  it("a stored debit from before spend tracking (spentOn \"\") leaves the windows as they were", () => {
    const before = run([debit("2", t0)], funded()).wallet;
    const after = replay([{ type: "UsageDebited", v: 1, amount: d("3"), eventIds: ["old"], drawdowns: [{ grantId: "g", amount: d("3") }], overage: Decimal.ZERO, usage: [], spentOn: "" }], before);
    expect(spendText(after, "2026-03-03")).toEqual({ day: "2", month: "2" });
  });

  it("for any sequence of debits over the days, the day total is the sum charged on the latest day and the month total the sum in the latest month", () => {
    const cents = fc.integer({ min: 0, max: 5_000 }).map((n) => Decimal.fromUnits(BigInt(n) * 10n ** 16n));
    const steps = fc.array(fc.record({ days: fc.integer({ min: 0, max: 12 }), ms: fc.integer({ min: 0, max: day - 1 }), amount: cents, viaHold: fc.boolean() }), {
      minLength: 1,
      maxLength: 40,
    });
    fc.assert(
      fc.property(steps, (list) => {
        // Enough credit for every charge, so nothing but the spend windows is under test.
        let wallet = run([grant("100000", at("2026-01-01T00:00:00Z"))], run([open(at("2026-01-01T00:00:00Z"))]).wallet).wallet;
        let dayStart = Date.UTC(2026, 0, 25);
        const charged: { day: string; amount: Decimal }[] = [];
        list.forEach((s, i) => {
          dayStart += s.days * day;
          const now = new Date(dayStart + s.ms);
          const commands: WalletCommand[] = s.viaHold ? [reserve(`r${i}`, "0.01", now, {}, 1), settle(`r${i}`, s.amount.toString(), now)] : [debit(s.amount.toString(), now)];
          wallet = run(commands, wallet).wallet;
          charged.push({ day: now.toISOString().slice(0, 10), amount: s.amount });
        });
        const latest = charged[charged.length - 1]?.day ?? "";
        const dayTotal = Decimal.sum(charged.filter((c) => c.day === latest).map((c) => c.amount));
        const monthTotal = Decimal.sum(charged.filter((c) => c.day.slice(0, 7) === latest.slice(0, 7)).map((c) => c.amount));
        expect(spendText(wallet, latest)).toEqual({ day: dayTotal.toString(), month: monthTotal.toString() });
      }),
      { numRuns: 200 },
    );
  });
});

describe("hold guards: spend caps and concurrent holds", () => {
  // Given 6 charged today (the 3rd) and a hold of 3 still open,
  const today = () => run([debit("6", at("2026-03-03T08:00:00Z")), reserve("r1", "3", at("2026-03-03T09:00:00Z"), {}, 4 * hour)], funded()).wallet;
  const now = at("2026-03-03T10:00:00Z");

  it("a daily cap counts what was charged today, every open hold and the new hold", () => {
    // 6 + 3 + 1 = 10: exactly at the cap is allowed
    expect(decide(reserve("r2", "1", now, { dailySpendCap: d("10") }), today()).ok).toBe(true);
    // 6 + 3 + 1.000000000000000001 > 10
    expect(decide(reserve("r2", "1.000000000000000001", now, { dailySpendCap: d("10") }), today())).toEqual({ ok: false, error: "SPEND_CAP_REACHED" });
  });

  it("a settled hold counts what it charged, no longer what it held", () => {
    const settled = run([settle("r1", "1", now)], today()).wallet;
    // 6 + 1 charged, nothing held: 7 + 3 = 10 fits, 7 + 3.01 does not
    expect(decide(reserve("r2", "3", now, { dailySpendCap: d("10") }), settled).ok).toBe(true);
    expect(decide(reserve("r2", "3.01", now, { dailySpendCap: d("10") }), settled)).toEqual({ ok: false, error: "SPEND_CAP_REACHED" });
  });

  it("yesterday's charges do not count against today's cap, but yesterday's holds still open do", () => {
    const wallet = run([debit("6", at("2026-03-02T12:00:00Z")), reserve("overnight", "4", at("2026-03-02T23:00:00Z"), {}, 2 * hour)], funded()).wallet;
    // On the 3rd at 00:30: nothing charged today, 4 still held: 4 + 7 = 11 > 10
    expect(decide(reserve("r2", "7", at("2026-03-03T00:30:00Z"), { dailySpendCap: d("10") }), wallet)).toEqual({ ok: false, error: "SPEND_CAP_REACHED" });
    expect(decide(reserve("r2", "6", at("2026-03-03T00:30:00Z"), { dailySpendCap: d("10") }), wallet).ok).toBe(true);
    // At 01:00 the overnight hold has lapsed and no longer counts: 0 + 7 ≤ 10
    const lapsed = decide(reserve("r2", "7", at("2026-03-03T01:00:00Z"), { dailySpendCap: d("10") }), wallet);
    expect(lapsed.ok && lapsed.value.map((e) => e.type)).toEqual(["ReservationReleased", "FundsReserved"]);
  });

  it("a monthly cap counts what was charged this month, the open holds and the new hold, and starts over on the 1st", () => {
    const wallet = run([debit("20", at("2026-03-01T00:00:00Z")), debit("25", at("2026-03-20T00:00:00Z"))], funded()).wallet;
    const endOfMonth = at("2026-03-31T23:00:00Z");
    // 20 + 25 + 5 = 50 fits the cap of 50; 5.01 does not
    expect(decide(reserve("r", "5", endOfMonth, { monthlySpendCap: d("50") }), wallet).ok).toBe(true);
    expect(decide(reserve("r", "5.01", endOfMonth, { monthlySpendCap: d("50") }), wallet)).toEqual({ ok: false, error: "SPEND_CAP_REACHED" });
    // With a hold of 4 open, 45 + 4 + 1.01 > 50
    const held = run([reserve("h", "4", endOfMonth)], wallet).wallet;
    expect(decide(reserve("r", "1.01", endOfMonth, { monthlySpendCap: d("50") }), held)).toEqual({ ok: false, error: "SPEND_CAP_REACHED" });
    // April: nothing charged this month yet
    expect(decide(reserve("r", "40", at("2026-04-01T00:00:00Z"), { monthlySpendCap: d("50") }), wallet).ok).toBe(true);
  });

  it("both caps apply: the daily one can refuse what the monthly one allows", () => {
    expect(decide(reserve("r2", "2", now, { dailySpendCap: d("10"), monthlySpendCap: d("1000") }), today())).toEqual({ ok: false, error: "SPEND_CAP_REACHED" });
    expect(decide(reserve("r2", "2", now, { dailySpendCap: d("1000"), monthlySpendCap: d("10") }), today())).toEqual({ ok: false, error: "SPEND_CAP_REACHED" });
  });

  it("refuses a hold beyond the most holds open at once, and allows one again when a hold closes", () => {
    const two = run([reserve("a", "1", now), reserve("b", "1", now)], funded()).wallet;
    expect(decide(reserve("c", "1", now, { maxOpenHolds: 2 }), two)).toEqual({ ok: false, error: "CONCURRENCY_LIMIT_REACHED" });
    expect(decide(reserve("c", "1", now, { maxOpenHolds: 3 }), two).ok).toBe(true);
    const settled = run([settle("a", "0.5", now)], two).wallet;
    expect(decide(reserve("c", "1", now, { maxOpenHolds: 2 }), settled).ok).toBe(true);
    // A hold that lapsed frees its place too (a and b expire after an hour).
    expect(decide(reserve("c", "1", new Date(now.getTime() + hour), { maxOpenHolds: 1 }), two).ok).toBe(true);
  });

  it("zero means no limit for every guard", () => {
    // 6 charged, 3 + 3 × 1 held: a big hold is bounded only by the funds (100 − 6 − 6 = 88 available)
    const wallet = run([reserve("a", "1", now), reserve("b", "1", now), reserve("c", "1", now)], today()).wallet;
    expect(decide(reserve("big", "88", now, { dailySpendCap: Decimal.ZERO, monthlySpendCap: Decimal.ZERO, maxOpenHolds: 0 }), wallet).ok).toBe(true);
    expect(decide(reserve("big", "89", now, noGuards), wallet)).toEqual({ ok: false, error: "INSUFFICIENT_FUNDS" });
  });

  it("a refused hold writes no events, not even the housekeeping that was due", () => {
    const wallet = run([reserve("old", "2", at("2026-03-03T09:30:00Z"))], today()).wallet;
    // At 10:30 "old" has lapsed (housekeeping would release it), r1 still holds 3: 6 + 3 + 2 > 10
    const refused = decide(reserve("r2", "2", at("2026-03-03T10:30:00Z"), { dailySpendCap: d("10") }), wallet);
    expect(refused).toEqual({ ok: false, error: "SPEND_CAP_REACHED" });
    const tooMany = decide(reserve("r2", "0.01", at("2026-03-03T10:30:00Z"), { maxOpenHolds: 1 }), wallet);
    expect(tooMany).toEqual({ ok: false, error: "CONCURRENCY_LIMIT_REACHED" });
  });

  it("a retried hold is answered as before even though the cap is now reached", () => {
    const wallet = run([reserve("r2", "1", now, { dailySpendCap: d("10") })], today()).wallet;
    expect(decide(reserve("r2", "1", now, { dailySpendCap: d("10") }), wallet)).toEqual({ ok: true, value: [] });
    expect(decide(reserve("r3", "0.01", now, { dailySpendCap: d("10") }), wallet)).toEqual({ ok: false, error: "SPEND_CAP_REACHED" });
  });

  it("a hold records the model it is for, and none when the caller names none", () => {
    const forModel: WalletCommand = { type: "ReserveFunds", reservationId: "m", amount: d("1"), expiresAt: new Date(now.getTime() + hour), model: "gpt-4o", now };
    const { wallet, events } = run([forModel, reserve("n", "1", now)], funded());
    expect(events.filter((e) => e.type === "FundsReserved").map((e) => e.type === "FundsReserved" && [e.reservationId, e.model])).toEqual([
      ["m", "gpt-4o"],
      ["n", ""],
    ]);
    expect(wallet.holds.get("m")?.model).toBe("gpt-4o");
    expect(walletFromParts(walletParts(wallet)).holds.get("m")?.model).toBe("gpt-4o");
  });
});

describe("period counters, for any sequence of usage", () => {
  it("each kept period's counters are the sum of the quantities recorded in it, and replay agrees", () => {
    // Monthly periods within four months, so nothing is pruned; quantities in thousandths.
    const quantity = fc.integer({ min: 0, max: 1_000_000 }).map((n) => Decimal.fromUnits(BigInt(n) * 10n ** 15n));
    const delta = fc.record({ month: fc.integer({ min: 0, max: 3 }), meter: fc.constantFrom("input_tokens", "output_tokens", "images"), q: quantity });
    const batches = fc.array(fc.record({ settle: fc.boolean(), deltas: fc.array(delta, { maxLength: 4 }) }), { maxLength: 25 });
    fc.assert(
      fc.property(batches, (list) => {
        const expected = new Map<string, Decimal>();
        const commands: WalletCommand[] = [open(at("2026-01-01T00:00:00Z")), grant("100", at("2026-01-01T00:00:00Z"))];
        list.forEach((b, i) => {
          const usage = b.deltas.map((x) => {
            const start = new Date(Date.UTC(2026, x.month, 1));
            const key = `${start.toISOString()} ${x.meter}`;
            expected.set(key, (expected.get(key) ?? Decimal.ZERO).plus(x.q));
            return { periodStart: start, quantities: [{ meter: x.meter, quantity: x.q }] };
          });
          if (b.settle) commands.push(reserve(`r${i}`, "0.01", t0), settle(`r${i}`, "0.01", t0, usage));
          else commands.push(debit("0.01", t0, usage));
        });
        const { wallet, events } = run(commands, initialWallet);
        const actual = new Map<string, string>();
        for (const u of walletParts(replay(events, initialWallet)).periodUsage) {
          for (const q of u.quantities) actual.set(`${u.periodStart.toISOString()} ${q.meter}`, q.quantity.toString());
        }
        expect(actual).toEqual(new Map([...expected].map(([k, v]) => [k, v.toString()])));
        for (const [key, v] of expected) {
          const [start = "", meter = ""] = key.split(" ");
          expect(periodUsageOf(wallet, at(start)).get(meter)?.toString()).toBe(v.toString());
        }
      }),
      { numRuns: 200 },
    );
  });
});
