import { describe, expect, it } from "@jest/globals";
import { AssertionFailed } from "../../../../src/domain/assert.js";
import { Decimal } from "../../../../src/domain/money/decimal.js";
import { addMoney, assetMinorDigits, compareMoney, minorUnitDigits, money, negateMoney, parseCurrency, subtractMoney } from "../../../../src/domain/money/money.js";

const d = (text: string): Decimal => {
  const parsed = Decimal.parse(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

describe("currency codes", () => {
  it.each(["USD", "EUR", "JPY", "KWD", "CREDITS", "GPU_HOURS", "C2", "TOKENS_1M", "A".repeat(16)])("accepts %s", (code) => {
    expect(parseCurrency(code)).toEqual({ ok: true, value: code });
  });

  it.each(["usd", "Usd", "U", "", "US D", "1USD", "_USD", "USD-X", "A".repeat(17), "ÜSD"])("refuses %p, saying what a code looks like", (code) => {
    const parsed = parseCurrency(code);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(/ISO 4217 code like USD or an asset code like CREDITS/);
  });
});

describe("minor units", () => {
  it.each([
    ["USD", 2],
    ["EUR", 2],
    ["GBP", 2],
    ["CHF", 2],
    ["CAD", 2],
    ["AUD", 2],
    ["INR", 2],
    ["CNY", 2],
    ["BRL", 2],
    ["SEK", 2],
    ["JPY", 0],
    ["KRW", 0],
    ["BHD", 3],
    ["KWD", 3],
    ["CLF", 4],
    ["XYZ", 2],
  ])("%s is presented with %i digits", (code, digits) => {
    expect(minorUnitDigits(code)).toBe(digits);
  });

  it("presents custom assets with 6 digits, whatever their name", () => {
    expect(assetMinorDigits).toBe(6);
    expect([minorUnitDigits("CREDITS"), minorUnitDigits("GPU_HOURS"), minorUnitDigits("C2")]).toEqual([6, 6, 6]);
  });
});

describe("money arithmetic", () => {
  it("adds, subtracts, compares and negates amounts of one currency", () => {
    const a = money(d("1.25"), "USD");
    const b = money(d("0.75"), "USD");
    expect(addMoney(a, b)).toEqual(money(d("2"), "USD"));
    expect(subtractMoney(b, a)).toEqual(money(d("-0.5"), "USD"));
    expect(compareMoney(a, b)).toBe(1);
    expect(negateMoney(a)).toEqual(money(d("-1.25"), "USD"));
  });

  it("treats mixing currencies as a bug", () => {
    const usd = money(d("1"), "USD");
    const eur = money(d("1"), "EUR");
    expect(() => addMoney(usd, eur)).toThrow(AssertionFailed);
    expect(() => subtractMoney(usd, eur)).toThrow(/cannot subtract USD and EUR/);
    expect(() => compareMoney(usd, eur)).toThrow(AssertionFailed);
  });
});
