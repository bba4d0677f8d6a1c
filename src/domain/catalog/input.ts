import { Decimal } from "../money/decimal.js";
import { parseCurrency } from "../money/money.js";
import { err, ok, type Result } from "../result.js";
import { violation, type FieldViolation } from "./field-error.js";

/** Money as it arrives from a caller: both parts are text, either may be empty. */
export type MoneyInput = { readonly amount: string; readonly currency: string };

/** Parses a decimal string naming the field on failure. */
export function parseDecimalField(field: string, text: string): Result<Decimal, FieldViolation> {
  const parsed = Decimal.parse(text);
  return parsed.ok ? parsed : err(violation(field, parsed.error));
}

/**
 * Parses an optional money amount that must be in `currency` and not negative. Unset (or an
 * empty amount) means zero; an empty currency means "the expected one".
 */
export function parseAmountIn(field: string, input: MoneyInput | undefined, currency: string): Result<Decimal, FieldViolation> {
  if (input === undefined || (input.amount === "" && input.currency === "")) return ok(Decimal.ZERO);
  if (input.currency !== "" && input.currency !== currency) {
    return err(violation(`${field}.currency`, `must be ${currency} (the plan's currency), got "${input.currency}"`));
  }
  if (input.amount === "") return ok(Decimal.ZERO);
  const amount = parseDecimalField(`${field}.amount`, input.amount);
  if (!amount.ok) return amount;
  if (amount.value.isNegative()) return err(violation(`${field}.amount`, `must not be negative, got ${input.amount}`));
  return amount;
}

export function parseCurrencyField(field: string, code: string): Result<string, FieldViolation> {
  if (code === "") return err(violation(field, "is required (an ISO 4217 code like USD, or an asset code like CREDITS)"));
  const parsed = parseCurrency(code);
  return parsed.ok ? parsed : err(violation(field, parsed.error));
}

/** Times before 2000 or after 2200 are almost certainly unit mistakes (seconds vs millis). */
export function parseTimeField(field: string, at: Date | undefined, fallback: Date): Result<Date, FieldViolation> {
  if (at === undefined) return ok(fallback);
  const ms = at.getTime();
  if (!Number.isFinite(ms) || ms < Date.UTC(2000, 0, 1) || ms > Date.UTC(2200, 0, 1)) {
    return err(violation(field, "must be a time between 2000-01-01 and 2200-01-01"));
  }
  return ok(at);
}
