import { describe, expect, it } from "@jest/globals";
import { decidePublishPlanVersion, planVersionAt, priceFor, type PlanVersion } from "../../../../src/domain/catalog/plan.js";
import { at, meters, models, now, proPlan, versionInput } from "./fixtures.js";

const ctx = { meters, models, now };

function published(plan = proPlan(), input = versionInput()): PlanVersion {
  const decision = decidePublishPlanVersion(plan, input, ctx);
  if (!decision.ok || decision.value.kind !== "publish") throw new Error(JSON.stringify(decision));
  return decision.value.version;
}

describe("publishing a plan version", () => {
  it("numbers the first version 1, effective now, with defaults for unset fields", () => {
    const v = published();
    expect(v.version).toBe(1);
    expect(v.effectiveFrom).toEqual(now);
    expect(v.interval).toBe("MONTHLY");
    expect(v.routing).toBe("LOWEST_COST");
    expect(v.includedCredit.toString()).toBe("0");
    expect(v.overageLimit.toString()).toBe("10");
  });

  it("refuses a formula that reads an unknown meter, naming the price and column", () => {
    const input = versionInput({ prices: [{ model: "gpt-4o", formula: { expression: "input_tokens * 2 + output_tokns", rates: {} } }] });
    const decision = decidePublishPlanVersion(proPlan(), input, ctx);
    expect(decision.ok).toBe(false);
    if (decision.ok) return;
    expect(decision.error.field).toBe("version.prices[0].formula.expression");
    expect(decision.error.description).toMatch(/column 20/);
    expect(decision.error.description).toMatch(/output_tokens/);
  });

  it("refuses a bad rate, naming the rate", () => {
    const input = versionInput({ prices: [{ model: "*", formula: { expression: "input_tokens * r", rates: { r: "1e-6" } } }] });
    const decision = decidePublishPlanVersion(proPlan(), input, ctx);
    expect(!decision.ok && decision.error.field).toBe("version.prices[0].formula.rates.r");
  });

  it("refuses a price for a model that is not defined, and a model priced twice", () => {
    const unknown = decidePublishPlanVersion(proPlan(), versionInput({ prices: [{ model: "gpt-5", formula: { expression: "cost", rates: {} } }] }), ctx);
    expect(!unknown.ok && unknown.error.field).toBe("version.prices[0].model");
    const twice = decidePublishPlanVersion(
      proPlan(),
      versionInput({ prices: [{ model: "*", formula: { expression: "cost", rates: {} } }, { model: "*", formula: { expression: "cost", rates: {} } }] }),
      ctx,
    );
    expect(!twice.ok && twice.error.field).toBe("version.prices[1].model");
  });

  it("refuses a cost-plus price on a model costed in another currency", () => {
    const decision = decidePublishPlanVersion(proPlan(), versionInput({ prices: [{ model: "euro-model", formula: { expression: "cost * 1.3", rates: {} } }] }), ctx);
    expect(!decision.ok && decision.error.field).toBe("version.prices[0].formula.expression");
    expect(!decision.ok && decision.error.description).toMatch(/costed in EUR/);
  });

  it("refuses money in another currency or negative, naming the sub-field", () => {
    const currency = decidePublishPlanVersion(proPlan(), versionInput({ includedCredit: { amount: "5", currency: "EUR" } }), ctx);
    expect(!currency.ok && currency.error.field).toBe("version.included_credit.currency");
    const negative = decidePublishPlanVersion(proPlan(), versionInput({ trialCredit: { amount: "-1", currency: "USD" } }), ctx);
    expect(!negative.ok && negative.error.field).toBe("version.trial_credit.amount");
  });

  it("requires a later version to start after the previous one", () => {
    const v1 = published(proPlan(), versionInput({ effectiveFrom: at("2026-11-01T00:00:00Z") }));
    const early = decidePublishPlanVersion(proPlan([v1]), versionInput({ effectiveFrom: at("2026-10-01T00:00:00Z"), recurringFee: { amount: "25", currency: "USD" } }), ctx);
    expect(!early.ok && early.error.field).toBe("version.effective_from");
    const later = published(proPlan([v1]), versionInput({ effectiveFrom: at("2026-12-01T00:00:00Z"), recurringFee: { amount: "25", currency: "USD" } }));
    expect(later.version).toBe(2);
  });

  it("treats publishing the latest terms again as a retry that changes nothing", () => {
    const v1 = published();
    const again = decidePublishPlanVersion(proPlan([v1]), versionInput(), ctx);
    expect(again).toEqual({ ok: true, value: { kind: "unchanged" } });
  });
});

describe("terms in force", () => {
  const v1 = { ...published(proPlan(), versionInput({ effectiveFrom: at("2026-01-01T00:00:00Z") })) };
  const v2 = { ...v1, version: 2, effectiveFrom: at("2026-06-01T00:00:00Z") };
  const plan = proPlan([v1, v2]);

  it("picks the version whose start is the latest at or before the instant", () => {
    expect(planVersionAt(plan, at("2025-12-31T23:59:59Z"))).toBeUndefined();
    expect(planVersionAt(plan, at("2026-01-01T00:00:00Z"))?.version).toBe(1);
    expect(planVersionAt(plan, at("2026-05-31T23:59:59Z"))?.version).toBe(1);
    expect(planVersionAt(plan, at("2026-06-01T00:00:00Z"))?.version).toBe(2);
  });

  it("prices a listed model by its own entry and any other by *", () => {
    expect(priceFor(v1, "gpt-4o")?.model).toBe("gpt-4o");
    expect(priceFor(v1, "claude-sonnet-4")?.model).toBe("*");
    expect(priceFor({ ...v1, prices: v1.prices.filter((p) => p.model !== "*") }, "claude-sonnet-4")).toBeUndefined();
  });
});
