import { limits } from "../limits.js";
import { Decimal } from "../money/decimal.js";
import { err, ok, type Result } from "../result.js";
import type { BinaryOperator, Node, UnaryOperator, ValueType } from "./ast.js";
import { expressionError, type FormulaError } from "./errors.js";
import { functions, type FunctionName } from "./functions.js";

/** What a formula may refer to besides its own rates. */
export type FormulaEnvironment = {
  /** Meter keys events may carry. */
  readonly meters: ReadonlySet<string>;
  /** Whether `cost` (the vendor cost of the same usage) exists: true for prices, false for costs. */
  readonly allowCost: boolean;
};

/** A checked node: every name resolved, every subexpression typed. */
export type Checked =
  | { readonly kind: "const"; readonly type: ValueType; readonly value: Decimal | boolean | string; readonly pos: number }
  | { readonly kind: "meter"; readonly type: "decimal"; readonly key: string; readonly pos: number }
  | { readonly kind: "rate"; readonly type: "decimal"; readonly value: Decimal; readonly pos: number }
  | { readonly kind: "cost"; readonly type: "decimal"; readonly pos: number }
  | { readonly kind: "attr"; readonly type: "string"; readonly key: string; readonly pos: number }
  | { readonly kind: "period"; readonly type: "decimal"; readonly meter: string; readonly pos: number }
  | { readonly kind: "unary"; readonly type: ValueType; readonly op: UnaryOperator; readonly operand: Checked; readonly pos: number }
  | { readonly kind: "binary"; readonly type: ValueType; readonly op: BinaryOperator; readonly left: Checked; readonly right: Checked; readonly pos: number }
  | { readonly kind: "call"; readonly type: ValueType; readonly fn: FunctionName; readonly args: readonly Checked[]; readonly pos: number };

const ratePattern = /^[a-z_][a-z0-9_]*$/;
const reservedNames = new Set(["cost", "true", "false", "attr", "period", ...functions.keys()]);

/** Levenshtein distance, bounded: used only to suggest a close name in an error. */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 99;
}

function suggestion(name: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean "${best}"?)` : "";
}

/** Validates the rates map: names are identifiers, values exact decimals. */
export function checkRates(rates: Readonly<Record<string, string>>, env: FormulaEnvironment): Result<Map<string, Decimal>, FormulaError[]> {
  const errors: FormulaError[] = [];
  const parsed = new Map<string, Decimal>();
  const names = Object.keys(rates);
  if (names.length > limits.formulaRatesMax) {
    return err([{ code: "TOO_MANY_RATES", message: `at most ${limits.formulaRatesMax} rates, got ${names.length}`, path: "rates" }]);
  }
  for (const name of names) {
    const path = `rates.${name}`;
    if (!ratePattern.test(name) || name.length > limits.keyLengthMax) {
      errors.push({ code: "BAD_RATE", message: `rate name "${name}" must be a lowercase identifier like rate_in`, path });
    } else if (reservedNames.has(name)) {
      errors.push({ code: "BAD_RATE", message: `rate name "${name}" is reserved by the formula language`, path });
    } else if (env.meters.has(name)) {
      errors.push({ code: "BAD_RATE", message: `rate name "${name}" is also a meter; rename the rate`, path });
    } else {
      const value = Decimal.parse(Object.hasOwn(rates, name) ? (rates[name] ?? "") : "");
      if (value.ok) parsed.set(name, value.value);
      else errors.push({ code: "BAD_RATE", message: `rate ${name} ${value.error}`, path });
    }
  }
  return errors.length ? err(errors) : ok(parsed);
}

class Checker {
  readonly errors: FormulaError[] = [];

  constructor(
    private readonly env: FormulaEnvironment,
    private readonly rates: ReadonlyMap<string, Decimal>,
  ) {}

  private problem(code: FormulaError["code"], message: string, pos: number): void {
    this.errors.push(expressionError(code, message, pos));
  }

  private expectType(node: Checked, type: ValueType, what: string): void {
    if (node.type !== type) this.problem("TYPE", `${what} must be a ${type === "bool" ? "condition (true/false)" : type}, found a ${node.type}`, node.pos);
  }

  check(node: Node): Checked {
    switch (node.kind) {
      case "number":
        return { kind: "const", type: "decimal", value: node.value, pos: node.pos };
      case "string":
        return { kind: "const", type: "string", value: node.value, pos: node.pos };
      case "bool":
        return { kind: "const", type: "bool", value: node.value, pos: node.pos };
      case "name":
        return this.name(node.name, node.pos);
      case "unary": {
        const operand = this.check(node.operand);
        if (node.op === "-") {
          this.expectType(operand, "decimal", 'the operand of "-"');
          return { kind: "unary", type: "decimal", op: "-", operand, pos: node.pos };
        }
        this.expectType(operand, "bool", 'the operand of "!"');
        return { kind: "unary", type: "bool", op: "!", operand, pos: node.pos };
      }
      case "binary":
        return this.binary(node.op, this.check(node.left), this.check(node.right), node.pos);
      case "call":
        return this.call(node.name, node.args.map((a) => this.check(a)), node.pos);
    }
  }

  private name(name: string, pos: number): Checked {
    if (name.startsWith("attr.")) return { kind: "attr", type: "string", key: name.slice(5), pos };
    if (name.startsWith("period.")) {
      const meter = name.slice(7);
      if (!this.env.meters.has(meter)) this.problem("UNKNOWN_NAME", `period.${meter}: "${meter}" is not a meter${suggestion(meter, this.env.meters)}`, pos);
      return { kind: "period", type: "decimal", meter, pos };
    }
    if (name.includes(".")) {
      this.problem("UNKNOWN_NAME", `unknown name "${name}": only attr.<name> and period.<meter> have a "."`, pos);
      return { kind: "const", type: "decimal", value: Decimal.ZERO, pos };
    }
    if (name === "cost") {
      if (!this.env.allowCost) this.problem("COST_NOT_ALLOWED", `"cost" is not available here: a vendor cost formula defines cost, it cannot use it`, pos);
      return { kind: "cost", type: "decimal", pos };
    }
    const rate = this.rates.get(name);
    if (rate !== undefined) return { kind: "rate", type: "decimal", value: rate, pos };
    if (this.env.meters.has(name)) return { kind: "meter", type: "decimal", key: name, pos };
    if (functions.has(name)) this.problem("SYNTAX", `${name} is a function: call it as ${functions.get(name)?.usage}`, pos);
    else {
      const known = [...this.rates.keys(), ...this.env.meters, ...(this.env.allowCost ? ["cost"] : [])];
      this.problem("UNKNOWN_NAME", `unknown name "${name}": not a meter, a rate of this formula${this.env.allowCost ? " or cost" : ""}${suggestion(name, known)}`, pos);
    }
    return { kind: "meter", type: "decimal", key: name, pos };
  }

  private binary(op: BinaryOperator, left: Checked, right: Checked, pos: number): Checked {
    switch (op) {
      case "+":
      case "-":
      case "*":
      case "/":
        this.expectType(left, "decimal", `the left side of "${op}"`);
        this.expectType(right, "decimal", `the right side of "${op}"`);
        if (op === "/" && right.kind === "const" && right.value instanceof Decimal && right.value.isZero()) {
          this.problem("DIVISION_BY_ZERO", "division by zero", right.pos);
        }
        return { kind: "binary", type: "decimal", op, left, right, pos };
      case "<":
      case "<=":
      case ">":
      case ">=":
        this.expectType(left, "decimal", `the left side of "${op}"`);
        this.expectType(right, "decimal", `the right side of "${op}"`);
        return { kind: "binary", type: "bool", op, left, right, pos };
      case "==":
      case "!=":
        if (left.type !== right.type) this.problem("TYPE", `"${op}" compares a ${left.type} with a ${right.type}`, pos);
        return { kind: "binary", type: "bool", op, left, right, pos };
      case "&&":
      case "||":
        this.expectType(left, "bool", `the left side of "${op}"`);
        this.expectType(right, "bool", `the right side of "${op}"`);
        return { kind: "binary", type: "bool", op, left, right, pos };
    }
  }

  private call(name: string, args: Checked[], pos: number): Checked {
    const fn = functions.get(name);
    if (!fn) {
      this.problem("UNKNOWN_FUNCTION", `unknown function "${name}"${suggestion(name, functions.keys())}; available: ${[...functions.keys()].join(", ")}`, pos);
      return { kind: "const", type: "decimal", value: Decimal.ZERO, pos };
    }
    if (args.length < fn.minArgs || args.length > fn.maxArgs) {
      this.problem("ARITY", `${name} takes ${fn.minArgs === fn.maxArgs ? fn.minArgs : `${fn.minArgs} to ${fn.maxArgs}`} arguments: ${fn.usage}; got ${args.length}`, pos);
      return { kind: "call", type: "decimal", fn: fn.name, args, pos };
    }
    if (fn.name === "if") {
      const [cond, then, otherwise] = args as [Checked, Checked, Checked];
      this.expectType(cond, "bool", "the condition of if");
      if (then.type !== otherwise.type) this.problem("TYPE", `both branches of if must have the same type, found ${then.type} and ${otherwise.type}`, pos);
      return { kind: "call", type: then.type, fn: "if", args, pos };
    }
    args.forEach((a, i) => this.expectType(a, "decimal", `argument ${i + 1} of ${name}`));
    if ((fn.name === "graduated" || fn.name === "volume") && args.length % 2 !== 0) {
      this.problem("ARITY", `${name} takes q, used, then pairs of tier start and rate: ${fn.usage}`, pos);
    } else if (fn.name === "graduated" || fn.name === "volume") {
      this.checkLiteralTiers(name, args.slice(2));
    }
    if (fn.name === "ceil" || fn.name === "floor") {
      const step = args[1];
      if (step?.kind === "const" && step.value instanceof Decimal && !step.value.isPositive()) {
        this.problem("INVALID_ARGUMENT", `${name}'s step must be positive`, step.pos);
      }
    }
    if (fn.name === "round") {
      const digits = args[1];
      if (digits?.kind === "const" && digits.value instanceof Decimal && (!digits.value.isInteger() || digits.value.isNegative() || digits.value.gt(Decimal.fromBigInt(18n)))) {
        this.problem("INVALID_ARGUMENT", "round's digits must be a whole number from 0 to 18", digits.pos);
      }
    }
    return { kind: "call", type: "decimal", fn: fn.name, args, pos };
  }

  /** When tier starts are literal numbers, their order can be checked before any usage arrives. */
  private checkLiteralTiers(name: string, tierArgs: readonly Checked[]): void {
    let previous: Decimal | undefined;
    for (let i = 0; i < tierArgs.length; i += 2) {
      const start = tierArgs[i];
      if (!(start?.kind === "const" && start.value instanceof Decimal)) return;
      if (i === 0 && !start.value.isZero()) this.problem("BAD_TIERS", `${name}'s first tier must start at 0`, start.pos);
      if (previous !== undefined && !start.value.gt(previous)) this.problem("BAD_TIERS", `${name}'s tier starts must increase`, start.pos);
      previous = start.value;
    }
  }
}

/** Resolves and type-checks a parsed formula; the result must be a decimal amount. */
export function checkFormula(node: Node, env: FormulaEnvironment, rates: ReadonlyMap<string, Decimal>): Result<Checked, FormulaError[]> {
  const checker = new Checker(env, rates);
  const checked = checker.check(node);
  if (checker.errors.length === 0 && checked.type !== "decimal") {
    checker.errors.push(expressionError("TYPE", `a formula must produce an amount, but this one produces a ${checked.type}`, checked.pos));
  }
  return checker.errors.length ? err(checker.errors) : ok(checked);
}
