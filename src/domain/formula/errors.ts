/**
 * Where in the expression a problem is: a 0-based offset and a 1-based column. The expression is
 * treated as one line (a line break counts as one character), because it travels as one string.
 */
export type Position = { readonly offset: number; readonly column: number };

export const positionAt = (offset: number): Position => ({ offset, column: offset + 1 });

/** Problems found only when a formula is evaluated on one event's values. */
export type FormulaEvalErrorCode = "DIVISION_BY_ZERO" | "INVALID_ARGUMENT" | "BAD_TIERS" | "MISSING_INPUT";

/** Problems found when a formula is compiled (published). */
export type FormulaCompileErrorCode =
  | "SYNTAX"
  | "TOO_LONG"
  | "TOO_DEEP"
  | "TOO_MANY_NODES"
  | "TOO_MANY_ARGUMENTS"
  | "TOO_MANY_RATES"
  | "UNKNOWN_NAME"
  | "UNKNOWN_FUNCTION"
  | "COST_NOT_ALLOWED"
  | "TYPE"
  | "ARITY"
  | "BAD_RATE"
  | "BAD_TIERS"
  | "DIVISION_BY_ZERO"
  | "INVALID_ARGUMENT";

/**
 * A problem with a formula. `path` says which part of the formula source it concerns:
 * "expression" or "rates.<name>" (or "rates" for the map as a whole). Expression problems carry
 * `pos`, and their message starts with "column N: " so it reads well on its own.
 */
export type FormulaError = {
  readonly code: FormulaCompileErrorCode | FormulaEvalErrorCode;
  readonly message: string;
  readonly pos?: Position;
  readonly path: string;
};

/** What `evaluate` returns when a formula has no amount for one event's values. */
export type FormulaEvalError = FormulaError & { readonly code: FormulaEvalErrorCode; readonly pos: Position };

export function expressionError<C extends FormulaError["code"]>(code: C, message: string, offset: number): FormulaError & { code: C; pos: Position } {
  return { code, message: `column ${offset + 1}: ${message}`, pos: positionAt(offset), path: "expression" };
}
