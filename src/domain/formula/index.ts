/**
 * The formula language's public surface: the rest of Tollgate imports only this file.
 * See README.md in this folder for the language reference.
 */
import { assert } from "../assert.js";
import type { Decimal } from "../money/decimal.js";
import { err, ok, type Result } from "../result.js";
import { checkFormula, checkRates, type Checked, type FormulaEnvironment } from "./checker.js";
import { compileNode, EvalFailure, type FormulaInputs } from "./compile.js";
import type { FormulaError } from "./errors.js";
import { parse } from "./parser.js";

export type { FormulaEnvironment } from "./checker.js";
export type { FormulaInputs } from "./compile.js";
export type { FormulaError, FormulaEvalError, Position } from "./errors.js";

/** A formula as stored and sent: the expression and its named rates (decimal strings). */
export type FormulaSource = { readonly expression: string; readonly rates: Readonly<Record<string, string>> };

/** A formula checked once and compiled to closures, ready to evaluate many times. */
export interface CompiledFormula {
  /** A frozen copy of the source it was compiled from. */
  readonly source: FormulaSource;
  /** Meters the formula reads as the event's quantity. */
  readonly meters: ReadonlySet<string>;
  /** Meters it reads as period.<meter>: the caller must pass `period` when this is not empty. */
  readonly periodMeters: ReadonlySet<string>;
  /** Whether it reads `cost`: the caller must pass `cost` when true. */
  readonly usesCost: boolean;
  /** Attribute names it reads as attr.<name>. */
  readonly attributes: ReadonlySet<string>;
  /** The amount for these inputs, or why there is none. Never throws. */
  evaluate(inputs: FormulaInputs): Result<Decimal, FormulaError>;
}

type Uses = { meters: Set<string>; periodMeters: Set<string>; attributes: Set<string>; usesCost: boolean };

function collect(node: Checked, into: Uses): void {
  switch (node.kind) {
    case "meter":
      into.meters.add(node.key);
      return;
    case "period":
      into.periodMeters.add(node.meter);
      return;
    case "attr":
      into.attributes.add(node.key);
      return;
    case "cost":
      into.usesCost = true;
      return;
    case "unary":
      collect(node.operand, into);
      return;
    case "binary":
      collect(node.left, into);
      collect(node.right, into);
      return;
    case "call":
      for (const a of node.args) collect(a, into);
      return;
    case "const":
    case "rate":
      return;
  }
}

/**
 * Parses, checks and compiles a formula against an environment. Every problem found comes back
 * in one list: expression problems first (parsing stops at the first syntax error; name and
 * type checking reports them all), then rate problems. Each carries `path` ("expression" or
 * "rates.<name>") and, for the expression, the position, with the column in the message.
 */
export function compileFormula(source: FormulaSource, env: FormulaEnvironment): Result<CompiledFormula, FormulaError[]> {
  const rates = checkRates(source.rates, env);
  const tree = parse(source.expression);
  if (!tree.ok) return err([tree.error, ...rates.errors]);
  const checked = checkFormula(tree.value, env, rates);
  if (!checked.ok || rates.errors.length > 0) return err([...(checked.ok ? [] : checked.error), ...rates.errors]);
  const uses: Uses = { meters: new Set(), periodMeters: new Set(), attributes: new Set(), usesCost: false };
  collect(checked.value, uses);
  assert(checked.value.type === "decimal", "a checked formula produces a decimal");
  const run = compileNode(checked.value);
  return ok({
    source: Object.freeze({ expression: source.expression, rates: Object.freeze({ ...source.rates }) }),
    ...uses,
    evaluate(inputs: FormulaInputs): Result<Decimal, FormulaError> {
      const value = run(inputs);
      if (value instanceof EvalFailure) return err(value.error);
      assert(typeof value === "object", "a decimal formula evaluates to a Decimal");
      return ok(value);
    },
  });
}
