import { assert, assertNever } from "../assert.js";
import { limits } from "../limits.js";
import { Decimal } from "../money/decimal.js";
import { isRoundDigits, type Checked } from "./checker.js";
import { expressionError, type FormulaEvalError, type FormulaEvalErrorCode } from "./errors.js";
import { graduated, tiersAreValid, volume, type Tier } from "./tiers.js";

/** What one evaluation reads: the event's quantities and attributes, its vendor cost, the period so far. */
export type FormulaInputs = {
  /** Quantities by meter key; a meter the event does not carry is 0. */
  readonly quantities: ReadonlyMap<string, Decimal>;
  /** String attributes by name; an absent one is "". */
  readonly attributes: ReadonlyMap<string, string>;
  /** The vendor cost of the same usage. Required when the formula reads `cost`. */
  readonly cost?: Decimal;
  /** Quantities already rated earlier in the billing period; required when the formula reads `period.<meter>`, 0 for a meter it lacks. */
  readonly period?: ReadonlyMap<string, Decimal>;
};

/**
 * Why a subexpression has no value. Closures return it instead of throwing, and every closure
 * passes it straight up; one `instanceof` check tells it from a value, and the success path
 * allocates nothing extra.
 */
export class EvalFailure {
  constructor(readonly error: FormulaEvalError) {}
}

type Value = Decimal | boolean | string;
/** A compiled subexpression. The checker's types guarantee which of Value it returns. */
export type Evaluator<T extends Value = Value> = (inputs: FormulaInputs) => T | EvalFailure;

const failure = (code: FormulaEvalErrorCode, message: string, pos: number): EvalFailure => new EvalFailure(expressionError(code, message, pos));

/** Compiles a node the checker typed as decimal; the cast is what the checker established. */
function decimal(node: Checked): Evaluator<Decimal> {
  assert(node.type === "decimal", `compiler expected a decimal at ${node.pos}, the checker typed it ${node.type}`);
  return compileNode(node) as Evaluator<Decimal>;
}

function bool(node: Checked): Evaluator<boolean> {
  assert(node.type === "bool", `compiler expected a bool at ${node.pos}, the checker typed it ${node.type}`);
  return compileNode(node) as Evaluator<boolean>;
}

/** Applies `f` to two decimal operands, evaluated left to right, passing a failure up. */
function both<T extends Value>(l: Evaluator<Decimal>, r: Evaluator<Decimal>, f: (a: Decimal, b: Decimal) => T | EvalFailure): Evaluator<T> {
  return (i) => {
    const a = l(i);
    if (a instanceof EvalFailure) return a;
    const b = r(i);
    if (b instanceof EvalFailure) return b;
    return f(a, b);
  };
}

/** Evaluates every argument in order; the first failure wins. */
function all(fns: readonly Evaluator<Decimal>[], i: FormulaInputs): Decimal[] | EvalFailure {
  const values: Decimal[] = [];
  for (const f of fns) {
    const v = f(i);
    if (v instanceof EvalFailure) return v;
    values.push(v);
  }
  return values;
}

function compileTiered(fn: "graduated" | "volume", args: readonly Evaluator<Decimal>[], pos: number): Evaluator<Decimal> {
  const price = fn === "graduated" ? graduated : volume;
  return (i) => {
    const values = all(args, i);
    if (values instanceof EvalFailure) return values;
    const [q = Decimal.ZERO, used = Decimal.ZERO, ...rest] = values;
    if (q.isNegative() || used.isNegative()) return failure("INVALID_ARGUMENT", `${fn}'s quantity and used amount must not be negative`, pos);
    const tiers: Tier[] = [];
    for (let t = 0; t + 1 < rest.length; t += 2) tiers.push({ start: rest[t] ?? Decimal.ZERO, rate: rest[t + 1] ?? Decimal.ZERO });
    if (!tiersAreValid(tiers)) return failure("BAD_TIERS", `${fn}'s tiers must start at 0 and increase`, pos);
    return price(q, used, tiers);
  };
}

function compileCall(node: Extract<Checked, { kind: "call" }>): Evaluator {
  const fn = node.fn;
  if (fn === "if") {
    const [condition, then, otherwise] = node.args;
    assert(condition && then && otherwise, "if has three arguments");
    const c = bool(condition);
    const t = compileNode(then);
    const e = compileNode(otherwise);
    // Lazy: only the chosen branch runs, so `if(q > 0, x / q, 0)` never divides by zero.
    return (i) => {
      const chosen = c(i);
      if (chosen instanceof EvalFailure) return chosen;
      return chosen ? t(i) : e(i);
    };
  }
  const args = node.args.map(decimal);
  const [x = () => Decimal.ZERO, second = () => Decimal.ZERO] = args;
  switch (fn) {
    case "min":
    case "max": {
      const beats = fn === "min" ? (v: Decimal, best: Decimal) => v.lt(best) : (v: Decimal, best: Decimal) => v.gt(best);
      // Folded as the arguments are evaluated, the first of equals kept, with no array of
      // them: a price like max(cost * 1.3, 0.0001) runs this for every event rated, and the
      // arrays (the values, a rest copy, the spread into Decimal.max) were about 0.4 KB an
      // event in V8's sampling heap profiler.
      return (i) => {
        let best: Decimal | undefined;
        for (let k = 0; k < args.length; k++) {
          const v = (args[k] as Evaluator<Decimal>)(i);
          if (v instanceof EvalFailure) return v;
          if (best === undefined || beats(v, best)) best = v;
        }
        return best ?? Decimal.ZERO;
      };
    }
    case "ceil":
    case "floor":
      return both(x, second, (value, step) => {
        if (!step.isPositive()) return failure("INVALID_ARGUMENT", `${fn}'s step must be positive, got ${step.toString()}`, node.pos);
        return fn === "ceil" ? value.ceilToStep(step) : value.floorToStep(step);
      });
    case "round":
      return both(x, second, (value, digits) => {
        if (!isRoundDigits(digits)) return failure("INVALID_ARGUMENT", `round's digits must be a whole number from 0 to ${limits.decimalScale}, got ${digits.toString()}`, node.pos);
        // digits is a whole number 0..18 here, so the conversion to a JS number is exact.
        return value.roundTo(Number(digits.toString()), "HALF_EVEN");
      });
    case "graduated":
    case "volume":
      return compileTiered(fn, args, node.pos);
    default:
      return assertNever(fn, "function");
  }
}

function compileBinary(node: Extract<Checked, { kind: "binary" }>): Evaluator {
  switch (node.op) {
    case "&&":
    case "||": {
      const l = bool(node.left);
      const r = bool(node.right);
      // Short-circuit: the right side runs only when it can change the answer.
      const decided = node.op === "||";
      return (i) => {
        const a = l(i);
        if (a instanceof EvalFailure || a === decided) return a;
        return r(i);
      };
    }
    case "==":
    case "!=": {
      const negate = node.op === "!=";
      if (node.left.type === "decimal") return both(decimal(node.left), decimal(node.right), (a, b) => a.eq(b) !== negate);
      // Strings and booleans are primitives: === compares them by value.
      const l = compileNode(node.left);
      const r = compileNode(node.right);
      return (i) => {
        const a = l(i);
        if (a instanceof EvalFailure) return a;
        const b = r(i);
        if (b instanceof EvalFailure) return b;
        return (a === b) !== negate;
      };
    }
    default:
      break;
  }
  const l = decimal(node.left);
  const r = decimal(node.right);
  switch (node.op) {
    case "+":
      return both(l, r, (a, b) => a.plus(b));
    case "-":
      return both(l, r, (a, b) => a.minus(b));
    case "*":
      return both(l, r, (a, b) => a.times(b));
    case "/":
      return both(l, r, (a, b) => {
        const quotient = a.dividedBy(b);
        return quotient.ok ? quotient.value : failure("DIVISION_BY_ZERO", "division by zero", node.right.pos);
      });
    case "<":
      return both(l, r, (a, b) => a.lt(b));
    case "<=":
      return both(l, r, (a, b) => a.lte(b));
    case ">":
      return both(l, r, (a, b) => a.gt(b));
    case ">=":
      return both(l, r, (a, b) => a.gte(b));
    default:
      return assertNever(node.op, "operator");
  }
}

/**
 * Turns a checked tree into nested closures, once. Names are resolved to map keys and rates to
 * their values here, so evaluation does no lookups by name beyond the inputs' own maps, and no
 * code is ever generated from text. Recursion is bounded by the parser's node limit.
 */
export function compileNode(node: Checked): Evaluator {
  switch (node.kind) {
    case "const":
    case "rate": {
      const value = node.value;
      return () => value;
    }
    case "meter": {
      const key = node.key;
      return (i) => i.quantities.get(key) ?? Decimal.ZERO;
    }
    case "cost": {
      const pos = node.pos;
      return (i) => i.cost ?? failure("MISSING_INPUT", "this formula reads cost, but no cost was given for this usage", pos);
    }
    case "attr": {
      const key = node.key;
      return (i) => i.attributes.get(key) ?? "";
    }
    case "period": {
      const { meter, pos } = node;
      return (i) => {
        if (i.period === undefined) return failure("MISSING_INPUT", `this formula reads period.${meter}, but no period quantities were given`, pos);
        return i.period.get(meter) ?? Decimal.ZERO;
      };
    }
    case "unary": {
      if (node.op === "!") {
        const operand = bool(node.operand);
        return (i) => {
          const v = operand(i);
          return v instanceof EvalFailure ? v : !v;
        };
      }
      const operand = decimal(node.operand);
      return (i) => {
        const v = operand(i);
        return v instanceof EvalFailure ? v : v.negate();
      };
    }
    case "binary":
      return compileBinary(node);
    case "call":
      return compileCall(node);
    default:
      return assertNever(node, "node");
  }
}
