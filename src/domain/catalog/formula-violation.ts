import type { FormulaError } from "../formula/index.js";
import { violation, type FieldViolation } from "./field-error.js";

/**
 * Turns the formula engine's errors into one violation whose field path points into the request
 * (`version.prices[2].formula.expression`) and whose text carries the position of each problem.
 */
export function formulaViolation(field: string, errors: readonly FormulaError[]): FieldViolation {
  const first = errors[0];
  const path = first?.path ? `${field}.${first.path}` : `${field}.expression`;
  const text = errors
    .map((e) => (e.pos && !/column \d/.test(e.message) ? `column ${e.pos.column}: ${e.message}` : e.message))
    .join("; ");
  return violation(path, text || "is not a valid formula");
}
