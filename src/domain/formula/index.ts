import type { Decimal } from "../money/decimal.js";
import { err, ok, type Result } from "../result.js";
import { checkFormula, checkRates, type Checked, type FormulaEnvironment } from "./checker.js";
import { compileNode, EvaluationFault, type FormulaInputs } from "./compile.js";
import type { FormulaError } from "./errors.js";
import { parse } from "./parser.js";

export type { FormulaEnvironment } from "./checker.js";
export type { FormulaInputs } from "./compile.js";
export type { FormulaError, Position } from "./errors.js";

/** A formula as stored and sent: the expression and its named rates (decimal strings). */
export type FormulaSource = { readonly expression: string; readonly rates: Readonly<Record<string, string>> };

/** A formula checked once and compiled to closures, ready to evaluate many times. */
export interface CompiledFormula {
  readonly source: FormulaSource;
  /** Meters the formula reads directly. */
  readonly meters: ReadonlySet<string>;
  /** Meters it reads as period.<meter>. */
  readonly periodMeters: ReadonlySet<string>;
  readonly usesCost: boolean;
  /** Attribute names it reads as attr.<name>. */
  readonly attributes: ReadonlySet<string>;
  /** The amount for these inputs, or why there is none (never throws). */
  evaluate(inputs: FormulaInputs): Result<Decimal, FormulaError>;
}

function collect(node: Checked, into: { meters: Set<string>; period: Set<string>; attributes: Set<string>; cost: boolean }): void {
  switch (node.kind) {
    case "meter":
      into.meters.add(node.key);
      return;
    case "period":
      into.period.add(node.meter);
      return;
    case "attr":
      into.attributes.add(node.key);
      return;
    case "cost":
      into.cost = true;
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
    default:
      return;
  }
}

/**
 * Parses, checks and compiles a formula against an environment. Errors come back as a list,
 * each with the part of the source it concerns (`expression` or `rates.<name>`) and, for the
 * expression, the column.
 */
export function compileFormula(source: FormulaSource, env: FormulaEnvironment): Result<CompiledFormula, FormulaError[]> {
  const rates = checkRates(source.rates, env);
  const tree = parse(source.expression);
  if (!tree.ok) return err([tree.error, ...(rates.ok ? [] : rates.error)]);
  if (!rates.ok) return err(rates.error);
  const checked = checkFormula(tree.value, env, rates.value);
  if (!checked.ok) return err(checked.error);
  const uses = { meters: new Set<string>(), period: new Set<string>(), attributes: new Set<string>(), cost: false };
  collect(checked.value, uses);
  const run = compileNode(checked.value);
  return ok({
    source,
    meters: uses.meters,
    periodMeters: uses.period,
    usesCost: uses.cost,
    attributes: uses.attributes,
    evaluate(inputs) {
      try {
        return ok(run(inputs) as Decimal);
      } catch (failure) {
        if (failure instanceof EvaluationFault) return err(failure.error);
        throw failure;
      }
    },
  });
}
