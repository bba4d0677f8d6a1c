import { assert } from "../../domain/assert.js";
import { Decimal } from "../../domain/money/decimal.js";

/** `numeric` values come back as strings; they were written by Tollgate, so they always parse. */
export function decimalFromDb(text: string): Decimal {
  const parsed = Decimal.parse(text);
  assert(parsed.ok, `numeric column held a value Decimal cannot represent: ${text}`);
  return parsed.value;
}
