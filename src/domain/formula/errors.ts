/** Where in the expression a problem is: 0-based offset and 1-based column (one line). */
export type Position = { readonly offset: number; readonly column: number };

export const positionAt = (offset: number): Position => ({ offset, column: offset + 1 });

/**
 * A problem with a formula: found when it is compiled (syntax, names, types, limits) or when it
 * is evaluated (division by zero, a bad step). `path` says which part of the formula source it
 * concerns: "expression" or "rates.<name>".
 */
export type FormulaError = {
  readonly code:
    | "SYNTAX"
    | "TOO_LONG"
    | "TOO_DEEP"
    | "TOO_MANY_NODES"
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
  readonly message: string;
  readonly pos?: Position;
  readonly path: string;
};

export const expressionError = (code: FormulaError["code"], message: string, offset: number): FormulaError => ({
  code,
  message: `column ${offset + 1}: ${message}`,
  pos: positionAt(offset),
  path: "expression",
});
