import { limits } from "../limits.js";

/** Every function a formula may call. */
export type FunctionName = "min" | "max" | "ceil" | "floor" | "round" | "if" | "graduated" | "volume";

/** What the checker needs to know about a function before its argument types are looked at. */
export type FunctionSignature = {
  readonly name: FunctionName;
  readonly minArgs: number;
  readonly maxArgs: number;
  /** How to call it, quoted in error messages. */
  readonly usage: string;
};

/**
 * Most arguments to `min`/`max`. Lower than `limits.formulaCallArgsMax` (which is sized for 100
 * tiers) because no real price compares more than a handful of amounts.
 */
export const minMaxArgsMax = 64;

/**
 * The whitelist. A user-supplied name is looked up in this Map and nowhere else: never as a
 * property of an object, so `constructor` or `__proto__` cannot reach anything. Argument types
 * are checked by the checker; compile.ts implements each function.
 */
export const functions: ReadonlyMap<string, FunctionSignature> = new Map(
  (
    [
      ["min", 2, minMaxArgsMax, "min(a, b, …)"],
      ["max", 2, minMaxArgsMax, "max(a, b, …)"],
      ["ceil", 2, 2, "ceil(x, step)"],
      ["floor", 2, 2, "floor(x, step)"],
      ["round", 2, 2, "round(x, digits)"],
      ["if", 3, 3, "if(condition, then, else)"],
      ["graduated", 4, limits.formulaCallArgsMax, "graduated(q, used, t1, r1, t2, r2, …)"],
      ["volume", 4, limits.formulaCallArgsMax, "volume(q, used, t1, r1, t2, r2, …)"],
    ] as const
  ).map(([name, minArgs, maxArgs, usage]): [string, FunctionSignature] => [name, { name, minArgs, maxArgs, usage }]),
);

/** Tiered functions take q, used, then (tier start, rate) pairs. */
export const isTiered = (name: FunctionName): name is "graduated" | "volume" => name === "graduated" || name === "volume";
