/**
 * A rejected input, naming the offending field by its path in the request (`version.prices[2].formula.expression`)
 * so a caller can point at it. Used by every validator in the domain.
 */
export type FieldViolation = { readonly field: string; readonly description: string };

export const violation = (field: string, description: string): FieldViolation => ({ field, description });
