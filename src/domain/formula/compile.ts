import { assertNever } from "../assert.js";
import { Decimal } from "../money/decimal.js";
import type { Checked } from "./checker.js";
import { expressionError, type FormulaError } from "./errors.js";
import { graduated, volume, type Tier } from "./tiers.js";

/** What an evaluation reads: the event's quantities and attributes, its cost, the period so far. */
export type FormulaInputs = {
  readonly quantities: ReadonlyMap<string, Decimal>;
  readonly attributes: ReadonlyMap<string, string>;
  readonly cost?: Decimal;
  readonly period?: ReadonlyMap<string, Decimal>;
};

type Value = Decimal | boolean | string;
type Evaluator = (inputs: FormulaInputs) => Value;

/**
 * Raised inside a compiled formula and caught at its boundary (`evaluate`), which turns it into
 * an error value: the public evaluator never throws.
 */
export class EvaluationFault {
  constructor(readonly error: FormulaError) {}
}

const fault = (code: FormulaError["code"], message: string, pos: number): never => {
  throw new EvaluationFault(expressionError(code, message, pos));
};

const asDecimal = (f: Evaluator) => (inputs: FormulaInputs) => f(inputs) as Decimal;
const asBool = (f: Evaluator) => (inputs: FormulaInputs) => f(inputs) as boolean;

function compileCall(node: Extract<Checked, { kind: "call" }>): Evaluator {
  const args = node.args.map(compileNode);
  const decimals = args.map(asDecimal);
  const [a = () => Decimal.ZERO, b = () => Decimal.ZERO] = decimals;
  switch (node.fn) {
    case "min":
      return (i) => decimals.slice(1).reduce((m, f) => Decimal.min(m, f(i)), a(i));
    case "max":
      return (i) => decimals.slice(1).reduce((m, f) => Decimal.max(m, f(i)), a(i));
    case "ceil":
    case "floor":
      return (i) => {
        const step = b(i);
        if (!step.isPositive()) return fault("INVALID_ARGUMENT", `${node.fn}'s step must be positive, got ${step.toString()}`, node.pos);
        return node.fn === "ceil" ? a(i).ceilToStep(step) : a(i).floorToStep(step);
      };
    case "round":
      return (i) => {
        const digits = b(i);
        if (!digits.isInteger() || digits.isNegative() || digits.gt(Decimal.fromBigInt(18n))) {
          return fault("INVALID_ARGUMENT", `round's digits must be a whole number from 0 to 18, got ${digits.toString()}`, node.pos);
        }
        return a(i).roundTo(Number(digits.toString()), "HALF_EVEN");
      };
    case "if": {
      const [cond, then, otherwise] = args as [Evaluator, Evaluator, Evaluator];
      return (i) => (cond(i) ? then(i) : otherwise(i));
    }
    case "graduated":
    case "volume": {
      const tierFns = decimals.slice(2);
      const price = node.fn === "graduated" ? graduated : volume;
      return (i) => {
        const q = a(i);
        const used = b(i);
        if (q.isNegative() || used.isNegative()) return fault("INVALID_ARGUMENT", `${node.fn}'s quantity and used amount must not be negative`, node.pos);
        const tiers: Tier[] = [];
        for (let t = 0; t < tierFns.length; t += 2) {
          const start = (tierFns[t] ?? (() => Decimal.ZERO))(i);
          const rate = (tierFns[t + 1] ?? (() => Decimal.ZERO))(i);
          const previous = tiers[tiers.length - 1];
          if ((t === 0 && !start.isZero()) || (previous && !start.gt(previous.start))) {
            return fault("BAD_TIERS", `${node.fn}'s tiers must start at 0 and increase`, node.pos);
          }
          tiers.push({ start, rate });
        }
        return price(q, used, tiers);
      };
    }
    default:
      return assertNever(node.fn, "function");
  }
}

function compileBinary(node: Extract<Checked, { kind: "binary" }>): Evaluator {
  const left = compileNode(node.left);
  const right = compileNode(node.right);
  const l = asDecimal(left);
  const r = asDecimal(right);
  switch (node.op) {
    case "+":
      return (i) => l(i).plus(r(i));
    case "-":
      return (i) => l(i).minus(r(i));
    case "*":
      return (i) => l(i).times(r(i));
    case "/":
      return (i) => {
        const quotient = l(i).dividedBy(r(i));
        return quotient.ok ? quotient.value : fault("DIVISION_BY_ZERO", "division by zero", node.right.pos);
      };
    case "<":
      return (i) => l(i).lt(r(i));
    case "<=":
      return (i) => l(i).lte(r(i));
    case ">":
      return (i) => l(i).gt(r(i));
    case ">=":
      return (i) => l(i).gte(r(i));
    case "==":
    case "!=": {
      const equal =
        node.left.type === "decimal" ? (i: FormulaInputs) => l(i).eq(r(i)) : (i: FormulaInputs) => left(i) === right(i);
      return node.op === "==" ? equal : (i) => !equal(i);
    }
    case "&&": {
      const lb = asBool(left);
      const rb = asBool(right);
      return (i) => lb(i) && rb(i);
    }
    case "||": {
      const lb = asBool(left);
      const rb = asBool(right);
      return (i) => lb(i) || rb(i);
    }
    default:
      return assertNever(node.op, "operator");
  }
}

/** Turns a checked tree into nested closures once; evaluation then does no lookups by name. */
export function compileNode(node: Checked): Evaluator {
  switch (node.kind) {
    case "const": {
      const value = node.value;
      return () => value;
    }
    case "meter": {
      const key = node.key;
      return (i) => i.quantities.get(key) ?? Decimal.ZERO;
    }
    case "rate": {
      const value = node.value;
      return () => value;
    }
    case "cost":
      return (i) => i.cost ?? Decimal.ZERO;
    case "attr": {
      const key = node.key;
      return (i) => i.attributes.get(key) ?? "";
    }
    case "period": {
      const meter = node.meter;
      return (i) => i.period?.get(meter) ?? Decimal.ZERO;
    }
    case "unary": {
      const operand = compileNode(node.operand);
      return node.op === "-" ? (i) => (operand(i) as Decimal).negate() : (i) => !(operand(i) as boolean);
    }
    case "binary":
      return compileBinary(node);
    case "call":
      return compileCall(node);
    default:
      return assertNever(node, "node");
  }
}
