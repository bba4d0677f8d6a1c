import { describe, expect, it } from "@jest/globals";
import { Decimal } from "../../../../src/domain/money/decimal.js";
import { rate, rateInOrder, type RatableEvent } from "../../../../src/domain/rating/rate.js";
import { periodFor, type RatingTerms } from "../../../../src/domain/rating/terms.js";
import type { PeriodUsage } from "../../../../src/domain/wallet/events.js";
import { decide } from "../../../../src/domain/wallet/wallet.decide.js";
import { initialWallet, periodUsageOf, replay, type Wallet } from "../../../../src/domain/wallet/wallet.js";
import {
  amounts,
  at,
  catalogStart,
  costVersion,
  customer,
  d,
  formula,
  gpt4o,
  gpt4oListCost,
  justBefore,
  noPeriodUsage,
  periodSoFar,
  plan,
  planPricingEverything,
  plans,
  planVersion,
  price,
  priceOnPlan,
  rated,
  rejection,
  sonnet4,
  sonnet4ListCost,
  subscribedTo,
  termsFor,
  termsRejection,
  tokenExpression,
  tokens,
  usage,
} from "./fixtures.js";

/** The first result of a batch, failing the test when there is none. */
function first<T>(results: readonly T[]): T {
  const [head] = results;
  if (head === undefined) throw new Error("expected at least one result");
  return head;
}

/** Usage text of the per-period deltas, for comparing with hand-computed totals. */
const usageText = (list: readonly PeriodUsage[]) => list.map((u) => ({ periodStart: u.periodStart.toISOString(), quantities: u.quantities.map((q) => [q.meter, q.quantity.toString()]) }));

describe("golden prices: public list prices, exact to the last digit", () => {
  // Given a plan that resells at list price (its own rates equal to the vendor's) and the vendor cost formula.
  describe("GPT-4o ($2.50 in, $10.00 out, $1.25 cached input per 1M tokens)", () => {
    const listPrice = (event: RatableEvent) => priceOnPlan(gpt4oListCost, event);

    it("1,234 in / 567 out / 89 cached tokens cost 0.00886625", () => {
      // 1234 × 0.0000025 = 0.003085; 567 × 0.00001 = 0.00567; 89 × 0.00000125 = 0.00011125
      // 0.003085 + 0.00567 + 0.00011125 = 0.00886625
      expect(amounts(listPrice(tokens("1234", "567", "89")))).toEqual({ charge: "0.00886625", cost: "0.00886625", margin: "0" });
    });

    it("98,765 in / 4,321 out / 12,345 cached tokens cost 0.30555375", () => {
      // 98765 × 0.0000025 = 0.2469125; 4321 × 0.00001 = 0.04321; 12345 × 0.00000125 = 0.01543125
      expect(listPrice(tokens("98765", "4321", "12345")).charge.toString()).toBe("0.30555375");
    });

    it("one token of each kind costs its per-token rate", () => {
      expect(listPrice(tokens("1")).charge.toString()).toBe("0.0000025");
      expect(listPrice(tokens("0", "1")).charge.toString()).toBe("0.00001");
      expect(listPrice(tokens("0", "0", "1")).charge.toString()).toBe("0.00000125");
      // 0.0000025 + 0.00001 + 0.00000125
      expect(listPrice(tokens("1", "1", "1")).charge.toString()).toBe("0.00001375");
    });

    it("no tokens cost nothing, whether the meters are sent as 0 or not sent at all", () => {
      expect(amounts(listPrice(tokens("0", "0", "0")))).toEqual({ charge: "0", cost: "0", margin: "0" });
      expect(amounts(listPrice(usage({})))).toEqual({ charge: "0", cost: "0", margin: "0" });
    });

    it("a million tokens of each kind cost 2.50 + 10.00 + 1.25 = 13.75", () => {
      expect(listPrice(tokens("1000000", "1000000", "1000000")).charge.toString()).toBe("13.75");
    });
  });

  describe("Claude Sonnet 4 ($3.00 in, $15.00 out, $0.30 cache read per 1M tokens)", () => {
    const listPrice = (event: RatableEvent) => {
      const terms = termsFor(customer([subscribedTo("pro")]), plans(planPricingEverything("pro", sonnet4ListCost)), sonnet4(), at("2026-03-10T12:00:00Z"));
      return rated(rate(event, terms, noPeriodUsage));
    };

    it("1,234 in / 567 out / 89 cached tokens cost 0.0122337", () => {
      // 1234 × 0.000003 = 0.003702; 567 × 0.000015 = 0.008505; 89 × 0.0000003 = 0.0000267
      expect(amounts(listPrice(tokens("1234", "567", "89")))).toEqual({ charge: "0.0122337", cost: "0.0122337", margin: "0" });
    });

    it("98,765 in / 4,321 out / 12,345 cached tokens cost 0.3648135", () => {
      // 98765 × 0.000003 = 0.296295; 4321 × 0.000015 = 0.064815; 12345 × 0.0000003 = 0.0037035
      expect(listPrice(tokens("98765", "4321", "12345")).charge.toString()).toBe("0.3648135");
    });

    it("one token of each kind costs 0.0000183, none costs 0, a million of each 18.3", () => {
      expect(listPrice(tokens("1", "1", "1")).charge.toString()).toBe("0.0000183"); // 0.000003 + 0.000015 + 0.0000003
      expect(listPrice(tokens("0", "0", "0")).charge.toString()).toBe("0");
      expect(listPrice(tokens("1000000", "1000000", "1000000")).charge.toString()).toBe("18.3"); // 3 + 15 + 0.3
    });
  });
});

describe("cost-plus pricing reads the vendor cost of the same usage", () => {
  it("cost × 1.25 on GPT-4o charges a quarter on top of the vendor cost", () => {
    // cost 0.00886625 (above); × 1.25 = 0.00886625 + 0.0022165625 = 0.0110828125
    expect(amounts(priceOnPlan(formula("cost * 1.25"), tokens("1234", "567", "89")))).toEqual({ charge: "0.0110828125", cost: "0.00886625", margin: "0.0022165625" });
    // cost 1000 × 0.0000025 + 500 × 0.00001 + 200 × 0.00000125 = 0.00775; × 1.25 = 0.0096875
    expect(amounts(priceOnPlan(formula("cost * 1.25"), tokens("1000", "500", "200")))).toEqual({ charge: "0.0096875", cost: "0.00775", margin: "0.0019375" });
  });

  describe("max(cost × markup, minimum) with markup 1.3 and minimum 0.0001", () => {
    const costPlusWithMinimum = formula("max(cost * markup, minimum)", { markup: "1.3", minimum: "0.0001" });

    it("charges the markup when it is above the minimum", () => {
      // cost 0.00886625 × 1.3 = 0.00886625 + 0.002659875 = 0.011526125
      expect(amounts(priceOnPlan(costPlusWithMinimum, tokens("1234", "567", "89")))).toEqual({ charge: "0.011526125", cost: "0.00886625", margin: "0.002659875" });
    });

    it("charges the minimum for a call whose markup is below it", () => {
      // 10 input tokens: cost 0.000025, × 1.3 = 0.0000325 < 0.0001
      expect(amounts(priceOnPlan(costPlusWithMinimum, tokens("10")))).toEqual({ charge: "0.0001", cost: "0.000025", margin: "0.000075" });
      // no tokens: cost 0, the minimum is all margin
      expect(amounts(priceOnPlan(costPlusWithMinimum, tokens("0")))).toEqual({ charge: "0.0001", cost: "0", margin: "0.0001" });
    });

    it("switches from the minimum to the markup exactly where cost × 1.3 reaches 0.0001", () => {
      // 0.0001 / 1.3 is not a whole number of tokens; 31 input tokens cost 0.0000775 (× 1.3 = 0.00010075),
      // 30 cost 0.000075 (× 1.3 = 0.0000975)
      expect(priceOnPlan(costPlusWithMinimum, tokens("30")).charge.toString()).toBe("0.0001");
      expect(priceOnPlan(costPlusWithMinimum, tokens("31")).charge.toString()).toBe("0.00010075");
    });
  });

  it("a cost-plus price on Claude Sonnet 4 reads Sonnet's cost, not another model's", () => {
    const terms = termsFor(customer([subscribedTo("pro")]), plans(planPricingEverything("pro", formula("cost * 1.25"))), sonnet4(), at("2026-03-10T12:00:00Z"));
    // Sonnet cost 1000 × 0.000003 + 500 × 0.000015 + 200 × 0.0000003 = 0.01056; × 1.25 = 0.0132
    expect(amounts(rated(rate(tokens("1000", "500", "200"), terms, noPeriodUsage)))).toEqual({ charge: "0.0132", cost: "0.01056", margin: "0.00264" });
  });
});

describe("the terms in force when usage happened price it", () => {
  describe("a price change is a new plan version", () => {
    const t1 = at("2026-03-10T12:00:00Z");
    const pro = plan("pro", [
      planVersion(1, catalogStart, [price("*", formula("input_tokens * rate_in + output_tokens * rate_out", { rate_in: "0.000004", rate_out: "0.000016" }))]),
      planVersion(2, t1, [price("*", formula("input_tokens * rate_in + output_tokens * rate_out", { rate_in: "0.000005", rate_out: "0.00002" }))]),
    ]);
    const priced = (when: Date) => {
      const terms = termsFor(customer([subscribedTo("pro")]), plans(pro), gpt4o(), when);
      return { version: terms.planVersion.version, charge: rated(rate(tokens("1000", "500"), terms, noPeriodUsage)).charge.toString() };
    };

    it("usage up to the last millisecond before the new version gets the old price", () => {
      // version 1: 1000 × 0.000004 + 500 × 0.000016 = 0.004 + 0.008
      expect(priced(justBefore(t1))).toEqual({ version: 1, charge: "0.012" });
      expect(priced(catalogStart)).toEqual({ version: 1, charge: "0.012" });
    });

    it("usage from the new version's start on gets the new price", () => {
      // version 2: 1000 × 0.000005 + 500 × 0.00002 = 0.005 + 0.01
      expect(priced(t1)).toEqual({ version: 2, charge: "0.015" });
      expect(priced(at("2026-07-01T00:00:00Z"))).toEqual({ version: 2, charge: "0.015" });
    });

    it("a price change does not restart the billing period's counters", () => {
      const who = customer([subscribedTo("pro")]);
      const before = termsFor(who, plans(pro), gpt4o(), justBefore(t1));
      const after = termsFor(who, plans(pro), gpt4o(), t1);
      expect([before.period.start.toISOString(), after.period.start.toISOString()]).toEqual(["2026-03-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"]);
    });
  });

  describe("a vendor reprice is a new model cost version", () => {
    const t1 = at("2026-03-10T12:00:00Z");
    // A hypothetical price cut: $2.00 in, $8.00 out, $1.00 cached per 1M from t1.
    const repriced = gpt4o([costVersion(1, catalogStart, gpt4oListCost), costVersion(2, t1, formula(tokenExpression, { rate_in: "0.000002", rate_out: "0.000008", rate_cached: "0.000001" }))]);
    const catalog = plans(
      plan("pro", [
        planVersion(1, catalogStart, [
          price("gpt-4o", formula(tokenExpression, { rate_in: "0.000004", rate_out: "0.000016", rate_cached: "0.000002" })),
          price("*", formula("cost * 1.25")),
        ]),
      ]),
      planPricingEverything("resell", formula("cost * 1.25")),
    );
    const priced = (planKey: string, when: Date) => {
      const terms = termsFor(customer([subscribedTo(planKey)]), catalog, repriced, when);
      return { costVersion: terms.costVersion.version, ...amounts(rated(rate(tokens("1000", "500", "200"), terms, noPeriodUsage))) };
    };

    it("changes the cost, and a cost-plus charge, only from the reprice on", () => {
      // before: cost 0.00775, charge × 1.25 = 0.0096875
      expect(priced("resell", justBefore(t1))).toEqual({ costVersion: 1, charge: "0.0096875", cost: "0.00775", margin: "0.0019375" });
      // after: cost 1000 × 0.000002 + 500 × 0.000008 + 200 × 0.000001 = 0.002 + 0.004 + 0.0002 = 0.0062; × 1.25 = 0.00775
      expect(priced("resell", t1)).toEqual({ costVersion: 2, charge: "0.00775", cost: "0.0062", margin: "0.00155" });
    });

    it("leaves a price with its own rates unchanged and moves the margin instead", () => {
      // charge 1000 × 0.000004 + 500 × 0.000016 + 200 × 0.000002 = 0.004 + 0.008 + 0.0004 = 0.0124
      expect(priced("pro", justBefore(t1))).toEqual({ costVersion: 1, charge: "0.0124", cost: "0.00775", margin: "0.00465" });
      expect(priced("pro", t1)).toEqual({ costVersion: 2, charge: "0.0124", cost: "0.0062", margin: "0.0062" });
    });
  });

  describe("a plan change mid-month (starter from the 1st, scale from the 15th)", () => {
    const change = at("2026-03-15T00:00:00Z");
    const catalog = plans(planPricingEverything("starter", formula("input_tokens * rate_in", { rate_in: "0.00001" })), planPricingEverything("scale", formula("input_tokens * rate_in", { rate_in: "0.000004" })));
    // The customer as it is after the change was made: both stretches of its timeline.
    const changed = customer([subscribedTo("starter", at("2026-03-01T00:00:00Z")), subscribedTo("scale", change)]);
    const priced = (when: Date) => {
      const terms = termsFor(changed, catalog, gpt4o(), when);
      return { plan: terms.planKey, charge: rated(rate(tokens("1000"), terms, noPeriodUsage)).charge.toString() };
    };

    it("prices a late event that happened before the change on the old plan", () => {
      // 1000 × 0.00001
      expect(priced(justBefore(change))).toEqual({ plan: "starter", charge: "0.01" });
      expect(priced(at("2026-03-01T00:00:00Z"))).toEqual({ plan: "starter", charge: "0.01" });
    });

    it("prices an event from the change on with the new plan", () => {
      // 1000 × 0.000004
      expect(priced(change)).toEqual({ plan: "scale", charge: "0.004" });
      expect(priced(at("2026-04-20T08:00:00Z"))).toEqual({ plan: "scale", charge: "0.004" });
    });

    it("splits the month: the old plan's period ends at the change and the new plan's starts there", () => {
      const periodOf = (when: Date) => {
        const p = termsFor(changed, catalog, gpt4o(), when).period;
        return [p.start.toISOString(), p.end.toISOString()];
      };
      expect(periodOf(at("2026-03-10T12:00:00Z"))).toEqual(["2026-03-01T00:00:00.000Z", "2026-03-15T00:00:00.000Z"]);
      expect(periodOf(justBefore(change))).toEqual(["2026-03-01T00:00:00.000Z", "2026-03-15T00:00:00.000Z"]);
      expect(periodOf(change)).toEqual(["2026-03-15T00:00:00.000Z", "2026-04-01T00:00:00.000Z"]);
      expect(periodOf(at("2026-03-31T23:59:59.999Z"))).toEqual(["2026-03-15T00:00:00.000Z", "2026-04-01T00:00:00.000Z"]);
      // The month after is a whole calendar month on the new plan.
      expect(periodOf(at("2026-04-01T00:00:00Z"))).toEqual(["2026-04-01T00:00:00.000Z", "2026-05-01T00:00:00.000Z"]);
    });

    it("periodFor cuts the calendar month to the stretch of the subscription in force", () => {
      const monthly = planVersion(1, catalogStart, [price("*", formula("input_tokens"))]);
      const range = (who: ReturnType<typeof customer>, when: Date) => {
        const p = periodFor(who, monthly, when);
        return [p.start.toISOString(), p.end.toISOString()];
      };
      // A subscription started in an earlier month covers whole months until the month of the change.
      const longStanding = customer([subscribedTo("starter", at("2026-01-20T00:00:00Z")), subscribedTo("scale", change)]);
      expect(range(longStanding, at("2026-01-25T00:00:00Z"))).toEqual(["2026-01-20T00:00:00.000Z", "2026-02-01T00:00:00.000Z"]);
      expect(range(longStanding, at("2026-02-10T00:00:00Z"))).toEqual(["2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"]);
      expect(range(longStanding, at("2026-03-02T00:00:00Z"))).toEqual(["2026-03-01T00:00:00.000Z", "2026-03-15T00:00:00.000Z"]);
      expect(range(longStanding, at("2026-03-16T00:00:00Z"))).toEqual(["2026-03-15T00:00:00.000Z", "2026-04-01T00:00:00.000Z"]);
    });

    it("periodFor on a daily plan is the UTC day, cut at a plan change inside it", () => {
      const daily = planVersion(1, catalogStart, [price("*", formula("input_tokens"))], "DAILY");
      const who = customer([subscribedTo("starter", catalogStart), subscribedTo("scale", at("2026-03-15T09:30:00Z"))]);
      const range = (when: Date) => {
        const p = periodFor(who, daily, when);
        return [p.start.toISOString(), p.end.toISOString()];
      };
      expect(range(at("2026-03-14T23:00:00Z"))).toEqual(["2026-03-14T00:00:00.000Z", "2026-03-15T00:00:00.000Z"]);
      expect(range(at("2026-03-15T09:00:00Z"))).toEqual(["2026-03-15T00:00:00.000Z", "2026-03-15T09:30:00.000Z"]);
      expect(range(at("2026-03-15T09:30:00Z"))).toEqual(["2026-03-15T09:30:00.000Z", "2026-03-16T00:00:00.000Z"]);
    });

    it("keeps each plan's period counters apart when late and current events arrive in one batch", () => {
      const tiered = (first: string) => formula("graduated(input_tokens, period.input_tokens, 0, rate_first, 1000, rate_after)", { rate_first: first, rate_after: "0.000005" });
      const tieredCatalog = plans(planPricingEverything("starter", tiered("0.00002")), planPricingEverything("scale", tiered("0.00001")));
      const on = (when: Date) => termsFor(changed, tieredCatalog, gpt4o(), when);
      // Given 900 tokens already recorded on starter this month and nothing yet on scale,
      const recorded = (start: Date) => (start.toISOString() === "2026-03-01T00:00:00.000Z" ? periodSoFar({ input_tokens: "900" }) : noPeriodUsage);
      // when a current event and a late one of 300 tokens each are rated together,
      const { results, usage: added } = rateInOrder(
        [
          { event: tokens("300"), terms: on(at("2026-03-20T10:00:00Z")) },
          { event: tokens("300"), terms: on(at("2026-03-14T10:00:00Z")) },
        ],
        recorded,
      );
      // then scale starts from 0: 300 × 0.00001 = 0.003; starter continues from 900: 100 × 0.00002 + 200 × 0.000005 = 0.003
      expect(results.map((r) => r.ok && r.value.charge.toString())).toEqual(["0.003", "0.003"]);
      expect(usageText(added)).toEqual([
        { periodStart: "2026-03-15T00:00:00.000Z", quantities: [["input_tokens", "300"]] },
        { periodStart: "2026-03-01T00:00:00.000Z", quantities: [["input_tokens", "300"]] },
      ]);
    });
  });
});

describe("tiered prices over the billing period", () => {
  // The first 1,000 tokens of the period at 0.00002 per token, every token beyond at 0.000005.
  const graduated = formula("graduated(input_tokens, period.input_tokens, 0, rate_first, 1000, rate_after)", { rate_first: "0.00002", rate_after: "0.000005" });
  const march = at("2026-03-10T12:00:00Z");
  const marchTerms = (source = graduated): RatingTerms => termsFor(customer([subscribedTo("pro")]), plans(planPricingEverything("pro", source)), gpt4o(), march);

  it("graduated splits one event that crosses the tier boundary across both rates", () => {
    // 900 already used, 300 more: [900, 1000) 100 × 0.00002 = 0.002; [1000, 1200) 200 × 0.000005 = 0.001
    expect(priceOnPlan(graduated, tokens("300"), periodSoFar({ input_tokens: "900" })).charge.toString()).toBe("0.003");
    // 999 used, 2 more: one on each side, 0.00002 + 0.000005
    expect(priceOnPlan(graduated, tokens("2"), periodSoFar({ input_tokens: "999" })).charge.toString()).toBe("0.000025");
  });

  it("graduated prices an event wholly inside one tier at that tier's rate", () => {
    expect(priceOnPlan(graduated, tokens("300")).charge.toString()).toBe("0.006"); // 300 × 0.00002
    expect(priceOnPlan(graduated, tokens("300"), periodSoFar({ input_tokens: "1000" })).charge.toString()).toBe("0.0015"); // 300 × 0.000005
    expect(priceOnPlan(graduated, tokens("100"), periodSoFar({ input_tokens: "900" })).charge.toString()).toBe("0.002"); // ends on the boundary
  });

  it("rateInOrder lets the second event of a batch see the first one's usage and cross the boundary", () => {
    // Given 500 recorded this period,
    const recordedStarts: string[] = [];
    const { results, usage: added } = rateInOrder(
      [
        { event: tokens("400"), terms: marchTerms() },
        { event: tokens("300"), terms: marchTerms() },
      ],
      (start) => {
        recordedStarts.push(start.toISOString());
        return periodSoFar({ input_tokens: "500" });
      },
    );
    // the first covers [500, 900): 400 × 0.00002 = 0.008; the second [900, 1200): 0.002 + 0.001
    expect(results.map((r) => r.ok && r.value.charge.toString())).toEqual(["0.008", "0.003"]);
    expect(usageText(added)).toEqual([{ periodStart: "2026-03-01T00:00:00.000Z", quantities: [["input_tokens", "700"]] }]);
    expect(new Set(recordedStarts)).toEqual(new Set(["2026-03-01T00:00:00.000Z"]));
  });

  it("rateInOrder does not count a refused event toward the period", () => {
    // A correction event (attr.kind = refund) prices negative and is refused; the period must not move.
    const withRefunds = formula(
      'if(attr.kind == "refund", 0 - graduated(input_tokens, period.input_tokens, 0, rate_first, 1000, rate_after), graduated(input_tokens, period.input_tokens, 0, rate_first, 1000, rate_after))',
      { rate_first: "0.00002", rate_after: "0.000005" },
    );
    const terms = marchTerms(withRefunds);
    const { results, usage: added } = rateInOrder(
      [
        { event: tokens("400"), terms },
        { event: usage({ input_tokens: "500" }, { kind: "refund" }), terms },
        { event: tokens("300"), terms },
      ],
      () => noPeriodUsage,
    );
    // 400 × 0.00002 = 0.008; refund -(500 × 0.00002) = -0.01 refused; then [400, 700): 300 × 0.00002 = 0.006
    expect(results.map((r) => (r.ok ? r.value.charge.toString() : r.error.reason))).toEqual(["0.008", "NEGATIVE_CHARGE", "0.006"]);
    expect(usageText(added)).toEqual([{ periodStart: "2026-03-01T00:00:00.000Z", quantities: [["input_tokens", "700"]] }]);
  });

  describe("volume: the whole period at the rate of the tier reached (docs/FORMULAS.md tiers)", () => {
    // The first 1,000,000 tokens of the period at 0.000003, from 1,000,000 on every token at 0.0000025.
    const tiers = "0, 0.000003, 1000000, 0.0000025";
    const volume = formula(`volume(input_tokens, period.input_tokens, ${tiers})`);

    it("charges the change in the period's volume price, and the batch sums to the volume price of the total", () => {
      const { results, usage: added } = rateInOrder(
        [
          { event: tokens("800000"), terms: marchTerms(volume) },
          { event: tokens("300000"), terms: marchTerms(volume) },
        ],
        () => noPeriodUsage,
      );
      // 800,000 × 0.000003 = 2.4; then 1,100,000 × 0.0000025 − 2.4 = 2.75 − 2.4 = 0.35
      expect(results.map((r) => r.ok && r.value.charge.toString())).toEqual(["2.4", "0.35"]);
      const sum = Decimal.sum(results.map((r) => (r.ok ? r.value.charge : Decimal.ZERO)));
      expect(sum.toString()).toBe("2.75"); // 1,100,000 × 0.0000025
      expect(usageText(added)).toEqual([{ periodStart: "2026-03-01T00:00:00.000Z", quantities: [["input_tokens", "1100000"]] }]);
    });

    it("prices an event inside the first tier at its rate", () => {
      expect(priceOnPlan(volume, tokens("500000")).charge.toString()).toBe("1.5"); // 500,000 × 0.000003
    });

    it("refuses the rebate an event moving the period into a cheaper tier would give, as a negative charge", () => {
      // 900,000 used, 100,000 more: 1,000,000 × 0.0000025 − 900,000 × 0.000003 = 2.5 − 2.7 = −0.2
      const refused = rejection(rate(tokens("100000"), marchTerms(volume), periodSoFar({ input_tokens: "900000" })));
      expect(refused).toEqual({ reason: "NEGATIVE_CHARGE", message: 'plan "pro" version 1 priced this usage at -0.2; a charge cannot be negative' });
    });

    it("max(volume(…), 0) prices the same event at 0 instead", () => {
      const floored = formula(`max(volume(input_tokens, period.input_tokens, ${tiers}), 0)`);
      expect(priceOnPlan(floored, tokens("100000"), periodSoFar({ input_tokens: "900000" })).charge.toString()).toBe("0");
    });
  });
});

describe("many small events add up exactly to one large one", () => {
  const march = at("2026-03-10T12:00:00Z");
  const termsWith = (source: ReturnType<typeof formula>) => termsFor(customer([subscribedTo("pro")]), plans(planPricingEverything("pro", source)), gpt4o(), march);
  const oneTokenEvents = (terms: RatingTerms) => Array.from({ length: 1000 }, () => ({ event: tokens("1"), terms }));
  const charged = (results: ReturnType<typeof rateInOrder>["results"]) => Decimal.sum(results.map((r) => rated(r).charge));

  it("1,000 one-token events in one batch are charged exactly what one 1,000-token event is", () => {
    const terms = termsWith(formula("input_tokens * rate_in", { rate_in: "0.0000025" }));
    const { results, usage: added } = rateInOrder(oneTokenEvents(terms), () => noPeriodUsage);
    expect(rated(first(results)).charge.toString()).toBe("0.0000025");
    expect(charged(results).toString()).toBe("0.0025"); // 1000 × 0.0000025
    expect(rated(rate(tokens("1000"), terms, noPeriodUsage)).charge.toString()).toBe("0.0025");
    expect(usageText(added)).toEqual([{ periodStart: "2026-03-01T00:00:00.000Z", quantities: [["input_tokens", "1000"]] }]);
  });

  it("a rate using all 18 fractional digits drifts by nothing over 1,000 events", () => {
    const terms = termsWith(formula("input_tokens * rate_in", { rate_in: "0.000000333333333333" }));
    const { results } = rateInOrder(oneTokenEvents(terms), () => noPeriodUsage);
    // 1000 × 0.000000333333333333 = 0.000333333333333 (exactly; a binary float would not be)
    expect(charged(results).toString()).toBe("0.000333333333333");
    expect(rated(rate(tokens("1000"), terms, noPeriodUsage)).charge.toString()).toBe("0.000333333333333");
  });

  it("1,000 one-token events rated one at a time, each seeing the wallet's recorded totals, cross a graduated boundary exactly once", () => {
    // First 600 tokens of the period at 0.00002, the rest at 0.000005.
    const terms = termsWith(formula("graduated(input_tokens, period.input_tokens, 0, 0.00002, 600, 0.000005)"));
    let wallet: Wallet = replay([{ type: "WalletOpened", v: 1, currency: "USD", overageLimit: d("1000") }], initialWallet);
    const charges: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const { results, usage: added } = rateInOrder([{ event: tokens("1"), terms }], (start) => periodUsageOf(wallet, start));
      const charge = rated(first(results)).charge;
      charges.push(charge.toString());
      const debited = decide({ type: "DebitUsage", entries: [{ eventId: `e${i}`, amount: charge }], usage: added, now: march }, wallet);
      if (!debited.ok) throw new Error(debited.error);
      wallet = replay(debited.value, wallet);
    }
    expect(charges.slice(598, 602)).toEqual(["0.00002", "0.00002", "0.000005", "0.000005"]);
    // 600 × 0.00002 + 400 × 0.000005 = 0.012 + 0.002
    expect(Decimal.sum(charges.map(d)).toString()).toBe("0.014");
    expect(rated(rate(tokens("1000"), terms, noPeriodUsage)).charge.toString()).toBe("0.014");
    expect(periodUsageOf(wallet, at("2026-03-01T00:00:00Z")).get("input_tokens")?.toString()).toBe("1000");
  });
});

describe("usage that cannot be priced is refused with a stable reason", () => {
  const march = at("2026-03-10T12:00:00Z");

  it("a model the plan does not price, when the plan has no '*' entry, is MODEL_NOT_IN_PLAN", () => {
    const onlyGpt = plans(plan("pro", [planVersion(1, catalogStart, [price("gpt-4o", gpt4oListCost)])]));
    expect(termsRejection(customer([subscribedTo("pro")]), onlyGpt, sonnet4(), march)).toEqual({
      reason: "MODEL_NOT_IN_PLAN",
      message: 'plan "pro" version 1 does not price model "claude-sonnet-4"',
    });
  });

  it("the '*' entry prices a model the plan does not list, and a listed model keeps its own price", () => {
    const catalog = plans(plan("pro", [planVersion(1, catalogStart, [price("gpt-4o", formula("input_tokens * 0.00001")), price("*", formula("cost * 2"))])]));
    const who = customer([subscribedTo("pro")]);
    // Sonnet via "*": cost 1000 × 0.000003 = 0.003, × 2
    expect(rated(rate(tokens("1000"), termsFor(who, catalog, sonnet4(), march), noPeriodUsage)).charge.toString()).toBe("0.006");
    // GPT-4o by its own entry: 1000 × 0.00001 (cost-plus would give 1000 × 0.0000025 × 2 = 0.005)
    expect(rated(rate(tokens("1000"), termsFor(who, catalog, gpt4o(), march), noPeriodUsage)).charge.toString()).toBe("0.01");
  });

  it("usage before the customer's first subscription is NO_SUBSCRIPTION", () => {
    const who = customer([subscribedTo("pro", at("2026-02-01T00:00:00Z"))]);
    const refused = termsRejection(who, plans(planPricingEverything("pro", gpt4oListCost)), gpt4o(), at("2026-01-31T23:59:59.999Z"));
    expect(refused.reason).toBe("NO_SUBSCRIPTION");
    expect(refused.message).toContain('customer "c-1"');
    expect(refused.message).toContain("2026-01-31T23:59:59.999Z");
    // From the subscription's first millisecond on, it is priced.
    expect(termsFor(who, plans(planPricingEverything("pro", gpt4oListCost)), gpt4o(), at("2026-02-01T00:00:00Z")).planKey).toBe("pro");
  });

  it("usage before the plan's first version is NO_PLAN_VERSION", () => {
    const later = plans(plan("pro", [planVersion(1, at("2026-02-01T00:00:00Z"), [price("*", gpt4oListCost)])]));
    const refused = termsRejection(customer([subscribedTo("pro")]), later, gpt4o(), at("2026-01-15T00:00:00Z"));
    expect(refused.reason).toBe("NO_PLAN_VERSION");
    expect(refused.message).toContain('plan "pro"');
    expect(termsFor(customer([subscribedTo("pro")]), later, gpt4o(), at("2026-02-01T00:00:00Z")).planVersion.version).toBe(1);
  });

  it("usage before the model's first cost version is NO_COST_VERSION", () => {
    const launchedLater = gpt4o([costVersion(1, at("2026-02-01T00:00:00Z"), gpt4oListCost)]);
    const catalog = plans(planPricingEverything("pro", gpt4oListCost));
    const refused = termsRejection(customer([subscribedTo("pro")]), catalog, launchedLater, justBefore(at("2026-02-01T00:00:00Z")));
    expect(refused.reason).toBe("NO_COST_VERSION");
    expect(refused.message).toContain('model "gpt-4o"');
    expect(termsFor(customer([subscribedTo("pro")]), catalog, launchedLater, at("2026-02-01T00:00:00Z")).costVersion.version).toBe(1);
  });

  it("a price dividing by a quantity that is 0 for this event is FORMULA_FAILED, naming the plan version and the column", () => {
    // "cost + rate_fee / output_tokens": the divisor starts at column 19
    const perOutputFee = formula("cost + rate_fee / output_tokens", { rate_fee: "0.001" });
    const terms = termsFor(customer([subscribedTo("pro")]), plans(planPricingEverything("pro", perOutputFee)), gpt4o(), march);
    expect(rejection(rate(tokens("1000", "0"), terms, noPeriodUsage))).toEqual({ reason: "FORMULA_FAILED", message: 'plan "pro" version 1: column 19: division by zero' });
    // The same formula prices events with output. 1 output token: cost 0.0025 + 0.00001 = 0.00251, fee 0.001 / 1
    expect(rated(rate(tokens("1000", "1"), terms, noPeriodUsage)).charge.toString()).toBe("0.00351");
    // 2 output tokens: cost 0.0025 + 0.00002 = 0.00252, fee 0.001 / 2 = 0.0005
    expect(rated(rate(tokens("1000", "2"), terms, noPeriodUsage)).charge.toString()).toBe("0.00302");
  });

  it("a vendor cost formula that fails for this event is FORMULA_FAILED, naming the cost version", () => {
    // A per-batch fee split across the images of the batch; "rate_batch / images": images at column 14
    const imageModel = gpt4o([costVersion(1, catalogStart, formula("rate_batch / images", { rate_batch: "0.04" }))]);
    const terms = termsFor(customer([subscribedTo("pro")]), plans(planPricingEverything("pro", formula("cost * 1.25"))), imageModel, march);
    expect(rejection(rate(usage({ images: "0" }), terms, noPeriodUsage))).toEqual({ reason: "FORMULA_FAILED", message: "model cost version 1: column 14: division by zero" });
    // 0.04 / 4 = 0.01; × 1.25
    expect(amounts(rated(rate(usage({ images: "4" }), terms, noPeriodUsage)))).toEqual({ charge: "0.0125", cost: "0.01", margin: "0.0025" });
  });

  it("a price that comes out negative is NEGATIVE_CHARGE with the amount", () => {
    // 1000 × 0.000005 − 0.01 = 0.005 − 0.01 = −0.005
    const discounted = formula("input_tokens * rate_in - rate_discount", { rate_in: "0.000005", rate_discount: "0.01" });
    const terms = termsFor(customer([subscribedTo("pro")]), plans(planPricingEverything("pro", discounted)), gpt4o(), march);
    expect(rejection(rate(tokens("1000"), terms, noPeriodUsage))).toEqual({
      reason: "NEGATIVE_CHARGE",
      message: 'plan "pro" version 1 priced this usage at -0.005; a charge cannot be negative',
    });
    // Exactly zero is a charge: 2000 × 0.000005 − 0.01 = 0
    expect(rated(rate(tokens("2000"), terms, noPeriodUsage)).charge.toString()).toBe("0");
  });
});
