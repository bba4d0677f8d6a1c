import { assert } from "../assert.js";
import { err, ok, type Result } from "../result.js";
import type { Decimal } from "./decimal.js";

/**
 * A currency or asset code as validated by `parseCurrency`: "USD", "JPY", "CREDITS". A plain
 * string alias (not a brand) because codes cross every layer as text; validate at the edge.
 */
export type CurrencyCode = string;

/** An amount in a currency. Arithmetic across currencies is a bug, so the helpers assert. */
export type Money = { readonly amount: Decimal; readonly currency: CurrencyCode };

const isoPattern = /^[A-Z]{3}$/;
const assetPattern = /^[A-Z][A-Z0-9_]{1,15}$/;

/**
 * Accepts an ISO 4217 style code (three uppercase letters, "USD") or a custom asset code of
 * 2-16 characters: an uppercase letter, then uppercase letters, digits or "_" ("CREDITS",
 * "GPU_HOURS"). Case matters: codes are uppercase on the wire, and "usd" is refused rather than
 * silently upper-cased so that stored codes compare byte for byte.
 */
export function parseCurrency(code: string): Result<CurrencyCode, string> {
  if (isoPattern.test(code) || assetPattern.test(code)) return ok(code);
  return err(`must be an ISO 4217 code like USD or an asset code like CREDITS (2-16 uppercase letters, digits, _), got "${code}"`);
}

/** Minor-unit digits of ISO 4217 currencies (the common ones, and every one that is not 2). */
const isoMinorDigits: ReadonlyMap<string, number> = new Map([
  ...["USD", "EUR", "GBP", "CHF", "CAD", "AUD", "NZD", "INR", "CNY", "HKD", "SGD", "BRL", "MXN", "SEK", "NOK", "DKK", "PLN", "CZK", "ZAR", "TRY", "ILS", "AED", "SAR", "THB", "PHP", "IDR", "MYR", "TWD"].map(
    (code) => [code, 2] as const,
  ),
  ...["JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "XPF", "PYG", "RWF", "KMF", "GNF", "DJF", "BIF", "VUV"].map((code) => [code, 0] as const),
  ...["BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD"].map((code) => [code, 3] as const),
  ...["CLF", "UYW"].map((code) => [code, 4] as const),
]);

/** Digits of an ISO-like three-letter code not in the table: 2, what most currencies use. */
const isoMinorDigitsDefault = 2;
/**
 * Digits custom assets (CREDITS, GPU_HOURS) are presented with: 6, because a credit is often a
 * fraction of a cent of real money and per-request charges must stay visible on an invoice.
 */
export const assetMinorDigits = 6;

/**
 * Digits an amount in this currency is presented with on an invoice. Any three-letter code is
 * read as ISO 4217 (2 unless the table says otherwise); longer or shorter codes are custom
 * assets (6). A custom asset that wants 6 digits must therefore not use a three-letter code.
 */
export function minorUnitDigits(currency: CurrencyCode): number {
  if (!isoPattern.test(currency)) return assetMinorDigits;
  return isoMinorDigits.get(currency) ?? isoMinorDigitsDefault;
}

export const money = (amount: Decimal, currency: CurrencyCode): Money => ({ amount, currency });

function assertSameCurrency(a: Money, b: Money, what: string): void {
  assert(a.currency === b.currency, `cannot ${what} ${a.currency} and ${b.currency}`);
}

export function addMoney(a: Money, b: Money): Money {
  assertSameCurrency(a, b, "add");
  return { amount: a.amount.plus(b.amount), currency: a.currency };
}

export function subtractMoney(a: Money, b: Money): Money {
  assertSameCurrency(a, b, "subtract");
  return { amount: a.amount.minus(b.amount), currency: a.currency };
}

export function compareMoney(a: Money, b: Money): -1 | 0 | 1 {
  assertSameCurrency(a, b, "compare");
  return a.amount.cmp(b.amount);
}

export const negateMoney = (a: Money): Money => ({ amount: a.amount.negate(), currency: a.currency });
