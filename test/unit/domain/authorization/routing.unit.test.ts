import { describe, expect, it } from "@jest/globals";
import { chooseModel, type Candidate } from "../../../../src/domain/authorization/routing.js";
import { Decimal } from "../../../../src/domain/money/decimal.js";

const d = (s: string): Decimal => {
  const parsed = Decimal.parse(s);
  if (!parsed.ok) throw new Error(s);
  return parsed.value;
};
const candidate = (model: string, charge: string, cost: string | undefined, costCurrency = "USD"): Candidate => ({
  model,
  charge: d(charge),
  cost: cost === undefined ? undefined : d(cost),
  costCurrency,
});

describe("least-cost routing", () => {
  const cheapButThin = candidate("mini", "0.011", "0.001");
  const dearButFat = candidate("large", "0.030", "0.010");

  it("LOWEST_COST picks the smallest vendor cost, HIGHEST_MARGIN the largest charge minus cost, FIRST_ALLOWED the first", () => {
    expect(chooseModel("LOWEST_COST", [dearButFat, cheapButThin], "USD")?.chosen.model).toBe("mini");
    expect(chooseModel("HIGHEST_MARGIN", [cheapButThin, dearButFat], "USD")?.chosen.model).toBe("large");
    expect(chooseModel("FIRST_ALLOWED", [dearButFat, cheapButThin], "USD")?.chosen.model).toBe("large");
  });

  it("keeps the caller's order on ties, and ranks candidates of unknown cost last", () => {
    const twin = candidate("twin", "0.011", "0.001");
    expect(chooseModel("LOWEST_COST", [cheapButThin, twin], "USD")?.chosen.model).toBe("mini");
    expect(chooseModel("LOWEST_COST", [candidate("unknown", "0.001", undefined), dearButFat], "USD")?.chosen.model).toBe("large");
  });

  it("never compares costs in different currencies: a cost in another currency ranks as unknown, and the trace says so", () => {
    // 0.0005 EUR is not "less" than 0.001 USD: there is no exchange rate to say so.
    const euro = candidate("euro-model", "0.011", "0.0005", "EUR");
    const lowest = chooseModel("LOWEST_COST", [cheapButThin, euro], "USD");
    expect(lowest?.chosen.model).toBe("mini");
    expect(lowest?.why).toContain("not compared (cost in another currency than USD): euro-model");
    // The first candidate with a known cost sets the currency compared in.
    expect(chooseModel("LOWEST_COST", [euro, candidate("euro-cheaper", "0.02", "0.0001", "EUR"), cheapButThin], "USD")?.chosen.model).toBe("euro-cheaper");
  });

  it("HIGHEST_MARGIN counts a margin only where the cost is in the charge's currency", () => {
    const foreign = candidate("foreign", "0.5", "0.01", "EUR");
    expect(chooseModel("HIGHEST_MARGIN", [foreign, cheapButThin], "USD")?.chosen.model).toBe("mini");
    expect(chooseModel("HIGHEST_MARGIN", [foreign, candidate("other", "0.4", "0.01", "GBP")], "USD")?.chosen.model).toBe("foreign");
  });

  it("has nothing to choose from an empty list", () => {
    expect(chooseModel("LOWEST_COST", [], "USD")).toBeUndefined();
  });
});
