import { limits } from "../limits.js";
import { Decimal } from "../money/decimal.js";
import { err, ok, type Result } from "../result.js";
import type { BinaryOperator, Node, UnaryOperator, ValueType } from "./ast.js";
import { expressionError, type FormulaError } from "./errors.js";
import { functions, isTiered, type FunctionName } from "./functions.js";

/** What a formula may refer to besides its own rates. */
export type FormulaEnvironment = {
  /** Meter keys of the tenant: the quantities an event may carry. */
  readonly meters: ReadonlySet<string>;
  /** Whether `cost` (the vendor cost of the same usage) exists: true for prices, false for a model's own cost. */
  readonly allowCost: boolean;
};

/**
 * The type of a checked node. "unknown" marks a node that was already reported (an unknown name
 * or function): checks that meet it stay silent, so one mistake yields one error, not a cascade.
 * A tree containing it is never compiled.
 */
export type CheckedType = ValueType | "unknown";

/**
 * A checked node: every name resolved to what it reads, every subexpression typed. The compiler
 * trusts these types; the checker is the only place that establishes them.
 */
export type Checked =
  | { readonly kind: "const"; readonly type: CheckedType; readonly value: Decimal | boolean | string; readonly pos: number }
  | { readonly kind: "meter"; readonly type: "decimal"; readonly key: string; readonly pos: number }
  | { readonly kind: "rate"; readonly type: "decimal"; readonly name: string; readonly value: Decimal; readonly pos: number }
  | { readonly kind: "cost"; readonly type: "decimal"; readonly pos: number }
  | { readonly kind: "attr"; readonly type: "string"; readonly key: string; readonly pos: number }
  | { readonly kind: "period"; readonly type: "decimal"; readonly meter: string; readonly pos: number }
  | { readonly kind: "unary"; readonly type: CheckedType; readonly op: UnaryOperator; readonly operand: Checked; readonly pos: number }
  | { readonly kind: "binary"; readonly type: CheckedType; readonly op: BinaryOperator; readonly left: Checked; readonly right: Checked; readonly pos: number }
  | { readonly kind: "call"; readonly type: CheckedType; readonly fn: FunctionName; readonly args: readonly Checked[]; readonly pos: number };

/** The rates of a formula after validation. */
export type CheckedRates = {
  /** Rates whose name and value are valid. */
  readonly values: ReadonlyMap<string, Decimal>;
  /** Every declared name, valid or not, so the expression check does not report a bad rate twice. */
  readonly declared: ReadonlySet<string>;
  readonly errors: readonly FormulaError[];
};

const ratePattern = /^[a-z_][a-z0-9_]*$/;
/** Names the language gives a meaning; a rate taking one would make a name mean two things. */
const reservedNames: ReadonlySet<string> = new Set(["cost", "true", "false", "attr", "period", ...functions.keys()]);
const suggestionDistanceMax = 2;

/** Levenshtein distance, used only to suggest a close name in an error. Names are short and bounded by the expression length. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/** ` (did you mean "x"?)` for the closest candidate within a small edit distance, else "". */
function suggestion(name: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = suggestionDistanceMax + 1;
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - name.length) > suggestionDistanceMax) continue;
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? "" : ` (did you mean "${best}"?)`;
}

/**
 * Validates the rates map: names are lowercase identifiers that collide with nothing else a
 * formula can name, values are exact decimal text. Every problem is reported, each at its own
 * path `rates.<name>`. The record is read with Object.keys and Object.hasOwn only.
 */
export function checkRates(rates: Readonly<Record<string, string>>, env: FormulaEnvironment): CheckedRates {
  const names = Object.keys(rates);
  const declared = new Set(names);
  if (names.length > limits.formulaRatesMax) {
    return { values: new Map(), declared, errors: [{ code: "TOO_MANY_RATES", message: `at most ${limits.formulaRatesMax} rates, got ${names.length}`, path: "rates" }] };
  }
  const errors: FormulaError[] = [];
  const values = new Map<string, Decimal>();
  for (const name of names) {
    const path = `rates.${name}`;
    const problem = (message: string) => errors.push({ code: "BAD_RATE", message, path });
    const text: unknown = Object.hasOwn(rates, name) ? rates[name] : undefined;
    if (!ratePattern.test(name) || name.length > limits.keyLengthMax) problem(`rate name "${name}" must be a lowercase identifier like rate_in, at most ${limits.keyLengthMax} characters`);
    else if (reservedNames.has(name)) problem(`rate name "${name}" is reserved by the formula language`);
    else if (env.meters.has(name)) problem(`rate name "${name}" is also a meter; rename the rate`);
    else if (typeof text !== "string") problem(`rate ${name} must be a decimal string like "0.0000025"`);
    else {
      const value = Decimal.parse(text);
      if (value.ok) values.set(name, value.value);
      else problem(`rate ${name} ${value.error}`);
    }
  }
  return { values, declared, errors };
}

/** Stands for a node already reported as an error. */
const unknown = (pos: number): Checked => ({ kind: "const", type: "unknown", value: Decimal.ZERO, pos });

/** A literal decimal (or a negated one). An "unknown" placeholder is not one: it must not trigger literal checks. */
const isDecimalConst = (node: Checked): node is Extract<Checked, { kind: "const" }> & { value: Decimal } =>
  node.kind === "const" && node.type === "decimal" && node.value instanceof Decimal;

class Checker {
  readonly errors: FormulaError[] = [];

  constructor(
    private readonly env: FormulaEnvironment,
    private readonly rates: CheckedRates,
  ) {}

  private problem(code: FormulaError["code"], message: string, pos: number): void {
    this.errors.push(expressionError(code, message, pos));
  }

  private expectType(node: Checked, type: ValueType, what: string): void {
    if (node.type !== type && node.type !== "unknown") this.problem("TYPE", `${what} must be a ${type === "bool" ? "condition (true/false)" : type}, found a ${node.type}`, node.pos);
  }

  /** Recursion is bounded by the parser's node limit. */
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
      case "unary":
        return this.unary(node.op, this.check(node.operand), node.pos);
      case "binary":
        return this.binary(node.op, this.check(node.left), this.check(node.right), node.pos);
      case "call":
        return this.call(node.name, node.args.map((a) => this.check(a)), node.pos);
    }
  }

  private name(name: string, pos: number): Checked {
    const dot = name.indexOf(".");
    if (dot >= 0) return this.dottedName(name.slice(0, dot), name.slice(dot + 1), pos);
    if (name === "cost") {
      if (!this.env.allowCost) this.problem("COST_NOT_ALLOWED", `"cost" is not available here: a vendor cost formula defines cost, it cannot use it`, pos);
      return { kind: "cost", type: "decimal", pos };
    }
    const rate = this.rates.values.get(name);
    if (rate !== undefined) return { kind: "rate", type: "decimal", name, value: rate, pos };
    if (this.rates.declared.has(name)) return { kind: "rate", type: "decimal", name, value: Decimal.ZERO, pos }; // reported under rates.<name>
    if (this.env.meters.has(name)) return { kind: "meter", type: "decimal", key: name, pos };
    const fn = functions.get(name);
    if (fn !== undefined) this.problem("SYNTAX", `${name} is a function: call it as ${fn.usage}`, pos);
    else if (name === "attr" || name === "period") this.problem("UNKNOWN_NAME", `"${name}" needs a name after it, like ${name === "attr" ? "attr.region" : "period.input_tokens"}`, pos);
    else {
      const known = [...this.rates.declared, ...this.env.meters, ...(this.env.allowCost ? ["cost"] : [])];
      this.problem("UNKNOWN_NAME", `unknown name "${name}": not a meter, a rate of this formula${this.env.allowCost ? " or cost" : ""}${suggestion(name, known)}`, pos);
    }
    return unknown(pos);
  }

  private dottedName(prefix: string, member: string, pos: number): Checked {
    if (prefix === "attr") return { kind: "attr", type: "string", key: member, pos };
    if (prefix === "period") {
      if (!this.env.meters.has(member)) this.problem("UNKNOWN_NAME", `period.${member}: "${member}" is not a meter${suggestion(member, this.env.meters)}`, pos);
      return { kind: "period", type: "decimal", meter: member, pos };
    }
    const hint = suggestion(prefix, ["attr", "period"]);
    this.problem("UNKNOWN_NAME", `unknown name "${prefix}.${member}": only attr.<name> and period.<meter> have a "."${hint}`, pos);
    return unknown(pos);
  }

  private unary(op: UnaryOperator, operand: Checked, pos: number): Checked {
    if (op === "!") {
      this.expectType(operand, "bool", 'the operand of "!"');
      return { kind: "unary", type: "bool", op, operand, pos };
    }
    this.expectType(operand, "decimal", 'the operand of "-"');
    // A negated literal is folded into a constant, so `ceil(x, -1)` or `1 / -0` is still a
    // literal the checks below can refuse at publish.
    if (isDecimalConst(operand)) return { kind: "const", type: "decimal", value: operand.value.negate(), pos };
    return { kind: "unary", type: "decimal", op, operand, pos };
  }

  private binary(op: BinaryOperator, left: Checked, right: Checked, pos: number): Checked {
    switch (op) {
      case "+":
      case "-":
      case "*":
      case "/":
        this.expectType(left, "decimal", `the left side of "${op}"`);
        this.expectType(right, "decimal", `the right side of "${op}"`);
        if (op === "/" && isDecimalConst(right) && right.value.isZero()) this.problem("DIVISION_BY_ZERO", "division by zero", right.pos);
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
        if (left.type !== right.type && left.type !== "unknown" && right.type !== "unknown") this.problem("TYPE", `"${op}" compares a ${left.type} with a ${right.type}`, pos);
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
    if (fn === undefined) {
      this.problem("UNKNOWN_FUNCTION", `unknown function "${name}"${suggestion(name, functions.keys())}; available: ${[...functions.keys()].join(", ")}`, pos);
      return unknown(pos);
    }
    if (args.length < fn.minArgs || args.length > fn.maxArgs) {
      const range = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : `${fn.minArgs} to ${fn.maxArgs}`;
      this.problem("ARITY", `${name} takes ${range} arguments: ${fn.usage}; got ${args.length}`, pos);
      return unknown(pos);
    }
    if (fn.name === "if") {
      const [condition, then, otherwise] = args as [Checked, Checked, Checked];
      this.expectType(condition, "bool", "the condition of if");
      const known = then.type !== "unknown" && otherwise.type !== "unknown";
      if (known && then.type !== otherwise.type) this.problem("TYPE", `both branches of if must have the same type, found ${then.type} and ${otherwise.type}`, pos);
      return { kind: "call", type: known ? then.type : "unknown", fn: "if", args, pos };
    }
    args.forEach((a, i) => this.expectType(a, "decimal", `argument ${i + 1} of ${name}`));
    const second = args[1];
    if (isTiered(fn.name)) {
      if (args.length % 2 !== 0) this.problem("ARITY", `${name} takes q, used, then pairs of tier start and rate: ${fn.usage}; got ${args.length} arguments`, pos);
      else this.checkLiteralTiers(name, args.slice(2));
    } else if ((fn.name === "ceil" || fn.name === "floor") && second && isDecimalConst(second) && !second.value.isPositive()) {
      this.problem("INVALID_ARGUMENT", `${name}'s step must be positive, got ${second.value.toString()}`, second.pos);
    } else if (fn.name === "round" && second && isDecimalConst(second) && !isRoundDigits(second.value)) {
      this.problem("INVALID_ARGUMENT", `round's digits must be a whole number from 0 to ${limits.decimalScale}, got ${second.value.toString()}`, second.pos);
    }
    return { kind: "call", type: "decimal", fn: fn.name, args, pos };
  }

  /** Tier starts given as literals (a leading run of them) are checked before any usage arrives. */
  private checkLiteralTiers(name: string, tierArgs: readonly Checked[]): void {
    let previous: Decimal | undefined;
    for (let i = 0; i < tierArgs.length; i += 2) {
      const start = tierArgs[i];
      if (start === undefined || !isDecimalConst(start)) return;
      if (i === 0 && !start.value.isZero()) this.problem("BAD_TIERS", `${name}'s first tier must start at 0`, start.pos);
      if (previous !== undefined && !start.value.gt(previous)) this.problem("BAD_TIERS", `${name}'s tier starts must increase`, start.pos);
      previous = start.value;
    }
  }
}

const roundDigitsMax = Decimal.fromBigInt(BigInt(limits.decimalScale));

/** `round` keeps 0 to 18 fractional digits: the decimal type has no more. */
export const isRoundDigits = (digits: Decimal): boolean => digits.isInteger() && !digits.isNegative() && digits.lte(roundDigitsMax);

/**
 * Resolves and type-checks a parsed formula, reporting every problem found. The result must be
 * a decimal: the amount.
 */
export function checkFormula(node: Node, env: FormulaEnvironment, rates: CheckedRates): Result<Checked, FormulaError[]> {
  const checker = new Checker(env, rates);
  const checked = checker.check(node);
  if (checker.errors.length === 0 && checked.type !== "decimal") {
    // With no errors reported there is no "unknown" node, so the type is a real one.
    checker.errors.push(expressionError("TYPE", `a formula must produce an amount, but this one produces a ${checked.type}`, checked.pos));
  }
  return checker.errors.length > 0 ? err(checker.errors) : ok(checked);
}
