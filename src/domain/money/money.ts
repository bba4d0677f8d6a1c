import { assert } from "../assert.js";
import { err, ok, type Result } from "../result.js";
import type { Decimal } from "./decimal.js";

/** An amount in a currency. Arithmetic across currencies is a bug, so it asserts. */
export type Money = { readonly amount: Decimal; readonly currency: string };

const isoPattern = /^[A-Z]{3}$/;
const assetPattern = /^[A-Z][A-Z0-9_]{1,15}$/;

/**
 * Accepts an ISO 4217 style code ("USD") or a custom asset code of 2-16 characters ("CREDITS",
 * "GPU_HOURS"). Case matters: codes are uppercase on the wire.
 */
export function parseCurrency(code: string): Result<string, string> {
  if (isoPattern.test(code) || assetPattern.test(code)) return ok(code);
  return err(`must be an ISO 4217 code like USD or an asset code like CREDITS (2-16 uppercase letters, digits, _), got "${code}"`);
}

/** Minor-unit digits of ISO currencies that do not use 2. */
const minorDigitsByCode: Readonly<Record<string, number>> = {
  JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, UGX: 0, XAF: 0, XOF: 0, PYG: 0, RWF: 0,
  BHD: 3, KWD: 3, OMR: 3, JOD: 3, TND: 3, IQD: 3, LYD: 3,
};

/**
 * Digits an amount is shown with on an invoice. ISO codes: their minor unit (2 unless listed).
 * Custom asset codes: 6, because credits are often fractions of a cent of real money.
 */
export function minorUnitDigits(currency: string): number {
  if (!isoPattern.test(currency)) return 6;
  return minorDigitsByCode[currency] ?? 2;
}

export const money = (amount: Decimal, currency: string): Money => ({ amount, currency });

export function addMoney(a: Money, b: Money): Money {
  assert(a.currency === b.currency, `cannot add ${a.currency} to ${b.currency}`);
  return { amount: a.amount.plus(b.amount), currency: a.currency };
}

export function subtractMoney(a: Money, b: Money): Money {
  assert(a.currency === b.currency, `cannot subtract ${b.currency} from ${a.currency}`);
  return { amount: a.amount.minus(b.amount), currency: a.currency };
}
