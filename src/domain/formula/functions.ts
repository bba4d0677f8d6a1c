import type { ValueType } from "./ast.js";

/**
 * The whitelist of functions a formula may call. Looked up in a Map, never by property access
 * on user-supplied names. Argument types are checked at publish time by the checker; the
 * evaluator (compile.ts) implements each one.
 */
export type FunctionName = "min" | "max" | "ceil" | "floor" | "round" | "if" | "graduated" | "volume";

export type FunctionSignature = {
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly usage: string;
};

export const functions: ReadonlyMap<string, FunctionSignature & { readonly name: FunctionName }> = new Map(
  (
    [
      ["min", 2, 64, "min(a, b, …)"],
      ["max", 2, 64, "max(a, b, …)"],
      ["ceil", 2, 2, "ceil(x, step)"],
      ["floor", 2, 2, "floor(x, step)"],
      ["round", 2, 2, "round(x, digits)"],
      ["if", 3, 3, "if(condition, then, else)"],
      ["graduated", 4, 202, "graduated(q, used, t1, r1, t2, r2, …)"],
      ["volume", 4, 202, "volume(q, used, t1, r1, t2, r2, …)"],
    ] as const
  ).map(([name, minArgs, maxArgs, usage]) => [name, { name, minArgs, maxArgs, usage }]),
);

export type ArgumentTypes = readonly ValueType[];
