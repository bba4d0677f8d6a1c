import { describe, expect, it } from "@jest/globals";
import { billingPeriodAt } from "../../../../src/domain/catalog/period.js";

describe("billing periods", () => {
  it("are calendar months in UTC for monthly plans", () => {
    const p = billingPeriodAt("MONTHLY", new Date("2026-12-31T23:59:59.999Z"));
    expect([p.start.toISOString(), p.end.toISOString()]).toEqual(["2026-12-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"]);
    const feb = billingPeriodAt("MONTHLY", new Date("2028-02-29T12:00:00Z"));
    expect(feb.end.toISOString()).toBe("2028-03-01T00:00:00.000Z");
  });

  it("are UTC days for daily plans, start inclusive and end exclusive", () => {
    const p = billingPeriodAt("DAILY", new Date("2026-11-22T00:00:00Z"));
    expect([p.start.toISOString(), p.end.toISOString()]).toEqual(["2026-11-22T00:00:00.000Z", "2026-11-23T00:00:00.000Z"]);
  });
});
