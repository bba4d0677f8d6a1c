import { limits } from "../limits.js";
import { err, ok, type Result } from "../result.js";
import { violation, type FieldViolation } from "./field-error.js";

/** Meter keys are formula names, so they follow identifier rules: `input_tokens`. */
const meterKeyPattern = /^[a-z][a-z0-9_]*$/;
/** Model and plan keys as vendors spell them: `gpt-4o`, `claude-sonnet-4`, `anthropic/claude-3.5`. */
const catalogKeyPattern = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;
/** Caller-chosen ids (customers, grants, events, requests): printable ASCII without spaces. */
const externalIdPattern = /^[\x21-\x7e]+$/;
/** Names a formula reserves for itself; a meter cannot take them. */
const reservedMeterKeys = new Set(["cost", "attr", "period", "true", "false", "min", "max", "ceil", "floor", "round", "if", "graduated", "volume"]);

function bounded(field: string, value: string, max: number): FieldViolation | undefined {
  if (value.length === 0) return violation(field, "is required");
  if (value.length > max) return violation(field, `must be at most ${max} characters, got ${value.length}`);
  return undefined;
}

export function parseMeterKey(field: string, value: string): Result<string, FieldViolation> {
  const tooLong = bounded(field, value, limits.keyLengthMax);
  if (tooLong) return err(tooLong);
  if (!meterKeyPattern.test(value)) {
    return err(violation(field, `must be a lowercase identifier like "input_tokens" (a-z, 0-9, _; starting with a letter), got "${value}"`));
  }
  if (reservedMeterKeys.has(value)) return err(violation(field, `"${value}" is reserved by the formula language`));
  return ok(value);
}

export function parseCatalogKey(field: string, value: string): Result<string, FieldViolation> {
  const tooLong = bounded(field, value, limits.keyLengthMax);
  if (tooLong) return err(tooLong);
  if (!catalogKeyPattern.test(value)) {
    return err(violation(field, `must start with a letter or digit and use only letters, digits and . _ : / -, got "${value}"`));
  }
  return ok(value);
}

export function parseExternalId(field: string, value: string): Result<string, FieldViolation> {
  const tooLong = bounded(field, value, limits.keyLengthMax);
  if (tooLong) return err(tooLong);
  if (!externalIdPattern.test(value)) return err(violation(field, "must be printable ASCII without spaces"));
  return ok(value);
}

/** Free text shown to people: optional, bounded, no control characters. */
export function parseDisplayText(field: string, value: string, max: number): Result<string, FieldViolation> {
  if (value.length > max) return err(violation(field, `must be at most ${max} characters, got ${value.length}`));
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\x00-\x1f\x7f]/.test(value)) return err(violation(field, "must not contain control characters"));
  return ok(value);
}
