import { limits } from "../limits.js";
import { ok, type Result } from "../result.js";
import type { FieldViolation } from "./field-error.js";
import { parseDisplayText, parseMeterKey } from "./keys.js";

/** A usage dimension events carry a quantity of (`input_tokens`), and formulas read by name. */
export type Meter = {
  readonly key: string;
  readonly displayName: string;
  readonly unit: string;
  readonly createdAt: Date;
};

export type DefineMeterInput = { readonly key: string; readonly displayName: string; readonly unit: string };

export function validateMeter(input: DefineMeterInput, now: Date): Result<Meter, FieldViolation> {
  const key = parseMeterKey("key", input.key);
  if (!key.ok) return key;
  const displayName = parseDisplayText("display_name", input.displayName, limits.displayNameLengthMax);
  if (!displayName.ok) return displayName;
  const unit = parseDisplayText("unit", input.unit, limits.unitLengthMax);
  if (!unit.ok) return unit;
  return ok({ key: key.value, displayName: displayName.value || key.value, unit: unit.value, createdAt: now });
}

/** Meters are defined once; redefining with identical content is a harmless retry. */
export function sameMeter(a: Meter, b: Meter): boolean {
  return a.key === b.key && a.displayName === b.displayName && a.unit === b.unit;
}
