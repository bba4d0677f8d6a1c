import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { compileFormula, type FormulaInputs } from "../../../../src/domain/formula/index.js";
import { limits } from "../../../../src/domain/limits.js";
import { Decimal } from "../../../../src/domain/money/decimal.js";
import { d, priceEnv } from "./fixtures.js";

/*
 * The generator's own tree over the whole grammar, two printers (fully parenthesised, and with
 * only the parentheses precedence requires), and a slow reference interpreter over the tree
 * that shares nothing with the compiled closures but the Decimal type.
 */
type Meter = "input_tokens" | "output_tokens" | "images";
type Num =
  | { k: "lit"; v: string }
  | { k: "meter"; name: Meter }
  | { k: "period"; name: Meter }
  | { k: "neg"; x: Num }
  | { k: "cost" }
  | { k: "rate" }
  | { k: "bin"; op: "+" | "-" | "*" | "/"; l: Num; r: Num }
  | { k: "minmax"; f: "min" | "max"; args: Num[] }
  | { k: "step"; f: "ceil" | "floor"; x: Num; s: Num }
  | { k: "round"; x: Num; digits: Num }
  | { k: "ifn"; c: Cond; t: Num; e: Num }
  | { k: "tiered"; f: "graduated" | "volume"; q: Num; used: Num; tiers: [string, string][] };
type Str = { k: "str"; v: string } | { k: "attr"; name: "region" | "tier" } | { k: "ifs"; c: Cond; t: Str; e: Str };
type Cond =
  | { k: "bool"; v: boolean }
  | { k: "cmp"; op: "<" | "<=" | ">" | ">=" | "==" | "!="; l: Num; r: Num }
  | { k: "scmp"; op: "==" | "!="; l: Str; r: Str }
  | { k: "bcmp"; op: "==" | "!="; l: Cond; r: Cond }
  | { k: "not"; c: Cond }
  | { k: "logic"; op: "&&" | "||"; l: Cond; r: Cond }
  | { k: "ifb"; c: Cond; t: Cond; e: Cond };
type Tree = Num | Str | Cond;

const meterName = fc.constantFrom<Meter>("input_tokens", "output_tokens", "images");
const integerText = fc.integer({ min: 0, max: 1000 }).map(String);
const literalText = fc.oneof(integerText, fc.tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 9999 })).map(([a, b]) => `${a}.${b}`));
/**
 * The quantity and used arguments of graduated/volume: kept to integers, meters and period
 * quantities, so every product in both the engine and the reference is exact and they can be
 * compared digit for digit despite computing tiers differently.
 */
const quantity: fc.Arbitrary<Num> = fc.oneof(
  integerText.map((v): Num => ({ k: "lit", v })),
  meterName.map((name): Num => ({ k: "meter", name })),
  meterName.map((name): Num => ({ k: "period", name })),
  integerText.map((v): Num => ({ k: "neg", x: { k: "lit", v } })),
);
/** Valid literal tiers: starting at 0, increasing, with rates of at most 6 fractional digits. */
const tiers = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 50_000 }), fc.integer({ min: 0, max: 1_000_000 })), { minLength: 1, maxLength: 4 })
  .map((steps) => {
    let start = 0;
    return steps.map(([gap, rate], i): [string, string] => {
      if (i > 0) start += gap;
      return [String(start), Decimal.fromUnits(BigInt(rate) * 10n ** 12n).toString()];
    });
  });

const { num, cond } = fc.letrec<{ num: Num; str: Str; cond: Cond }>((tie) => {
  const n = tie("num") as fc.Arbitrary<Num>;
  const s = tie("str") as fc.Arbitrary<Str>;
  const c = tie("cond") as fc.Arbitrary<Cond>;
  return {
    // Weighted towards operators, so nested groupings (what precedence is about) are common.
    num: fc.oneof(
      { depthSize: "medium", withCrossShrink: true },
      { arbitrary: literalText.map((v): Num => ({ k: "lit", v })), weight: 4 },
      { arbitrary: meterName.map((name): Num => ({ k: "meter", name })), weight: 3 },
      { arbitrary: meterName.map((name): Num => ({ k: "period", name })), weight: 1 },
      { arbitrary: fc.constant<Num>({ k: "cost" }), weight: 1 },
      { arbitrary: fc.constant<Num>({ k: "rate" }), weight: 1 },
      { arbitrary: n.map((x): Num => ({ k: "neg", x })), weight: 1 },
      { arbitrary: fc.tuple(fc.constantFrom("+", "-", "*", "/" as const), n, n).map(([op, l, r]): Num => ({ k: "bin", op, l, r })), weight: 8 },
      { arbitrary: fc.tuple(fc.constantFrom("min", "max" as const), fc.array(n, { minLength: 2, maxLength: 3 })).map(([f, args]): Num => ({ k: "minmax", f, args })), weight: 1 },
      { arbitrary: fc.tuple(fc.constantFrom("ceil", "floor" as const), n, n).map(([f, x, st]): Num => ({ k: "step", f, x, s: st })), weight: 1 },
      {
        arbitrary: fc.tuple(n, fc.oneof(fc.integer({ min: 0, max: 18 }).map((v): Num => ({ k: "lit", v: String(v) })), n)).map(([x, digits]): Num => ({ k: "round", x, digits })),
        weight: 1,
      },
      { arbitrary: fc.tuple(c, n, n).map(([cc, t, e]): Num => ({ k: "ifn", c: cc, t, e })), weight: 1 },
      {
        arbitrary: fc.tuple(fc.constantFrom("graduated", "volume" as const), quantity, quantity, tiers).map(([f, q, used, ts]): Num => ({ k: "tiered", f, q, used, tiers: ts })),
        weight: 1,
      },
    ),
    str: fc.oneof(
      { depthSize: "small" },
      fc.constantFrom("", "eu", "us", "batch").map((v): Str => ({ k: "str", v })),
      fc.constantFrom("region" as const, "tier" as const).map((name): Str => ({ k: "attr", name })),
      fc.tuple(c, s, s).map(([cc, t, e]): Str => ({ k: "ifs", c: cc, t, e })),
    ),
    cond: fc.oneof(
      { depthSize: "medium" },
      { arbitrary: fc.boolean().map((v): Cond => ({ k: "bool", v })), weight: 2 },
      { arbitrary: fc.tuple(fc.constantFrom("<", "<=", ">", ">=", "==", "!=" as const), n, n).map(([op, l, r]): Cond => ({ k: "cmp", op, l, r })), weight: 4 },
      { arbitrary: fc.tuple(fc.constantFrom("==", "!=" as const), s, s).map(([op, l, r]): Cond => ({ k: "scmp", op, l, r })), weight: 2 },
      { arbitrary: fc.tuple(fc.constantFrom("==", "!=" as const), c, c).map(([op, l, r]): Cond => ({ k: "bcmp", op, l, r })), weight: 2 },
      { arbitrary: c.map((x): Cond => ({ k: "not", c: x })), weight: 1 },
      { arbitrary: fc.tuple(fc.constantFrom("&&", "||" as const), c, c).map(([op, l, r]): Cond => ({ k: "logic", op, l, r })), weight: 4 },
      { arbitrary: fc.tuple(c, c, c).map(([cc, t, e]): Cond => ({ k: "ifb", c: cc, t, e })), weight: 1 },
    ),
  };
});

// ---- Printing ----------------------------------------------------------------------------

/** The test's own precedence table (the language reference's), independent of the parser's. */
const power: Record<string, number> = { "||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4, "+": 5, "-": 5, "*": 6, "/": 6 };
const unaryPower = 7;
const atomPower = 8;
type Printed = { text: string; power: number };

function printTree(t: Tree, minimal: boolean): Printed {
  const atom = (text: string): Printed => ({ text, power: atomPower });
  const call = (f: string, args: Tree[]) => atom(`${f}(${args.map((a) => printTree(a, minimal).text).join(", ")})`);
  const binary = (op: string, l: Tree, r: Tree): Printed => {
    const p = power[op] ?? 0;
    const left = printTree(l, minimal);
    const right = printTree(r, minimal);
    // Left-associative: an equal operator on the left needs no parentheses, on the right it does.
    const lt = !minimal || left.power < p ? `(${left.text})` : left.text;
    const rt = !minimal || right.power <= p ? `(${right.text})` : right.text;
    return { text: `${lt} ${op} ${rt}`, power: p };
  };
  const unary = (op: string, x: Tree): Printed => {
    const operand = printTree(x, minimal);
    return { text: `${op}${!minimal || operand.power < unaryPower ? `(${operand.text})` : operand.text}`, power: unaryPower };
  };
  switch (t.k) {
    case "lit":
      return atom(t.v);
    case "meter":
      return atom(t.name);
    case "period":
      return atom(`period.${t.name}`);
    case "cost":
      return atom("cost");
    case "rate":
      return atom("rate_x");
    case "neg":
      return unary("-", t.x);
    case "bin":
    case "cmp":
    case "scmp":
    case "bcmp":
    case "logic":
      return binary(t.op, t.l, t.r);
    case "minmax":
      return call(t.f, t.args);
    case "step":
      return call(t.f, [t.x, t.s]);
    case "round":
      return call("round", [t.x, t.digits]);
    case "ifn":
    case "ifs":
    case "ifb":
      return call("if", [t.c, t.t, t.e]);
    case "tiered":
      return atom(`${t.f}(${printTree(t.q, minimal).text}, ${printTree(t.used, minimal).text}, ${t.tiers.map(([s, r]) => `${s}, ${r}`).join(", ")})`);
    case "str":
      return atom(`'${t.v}'`);
    case "attr":
      return atom(`attr.${t.name}`);
    case "bool":
      return atom(String(t.v));
    case "not":
      return unary("!", t.c);
  }
}

/** Nodes as the parser counts them: every literal, name, operator and call. */
function nodeCount(t: Tree): number {
  switch (t.k) {
    case "lit":
    case "meter":
    case "period":
    case "cost":
    case "rate":
    case "str":
    case "attr":
    case "bool":
      return 1;
    case "neg":
      return 1 + nodeCount(t.x);
    case "not":
      return 1 + nodeCount(t.c);
    case "bin":
    case "cmp":
    case "scmp":
    case "bcmp":
    case "logic":
      return 1 + nodeCount(t.l) + nodeCount(t.r);
    case "minmax":
      return 1 + t.args.reduce((a, x) => a + nodeCount(x), 0);
    case "step":
      return 1 + nodeCount(t.x) + nodeCount(t.s);
    case "round":
      return 1 + nodeCount(t.x) + nodeCount(t.digits);
    case "ifn":
    case "ifs":
    case "ifb":
      return 1 + nodeCount(t.c) + nodeCount(t.t) + nodeCount(t.e);
    case "tiered":
      return 1 + nodeCount(t.q) + nodeCount(t.used) + t.tiers.length * 2;
  }
}

// ---- The reference interpreter -----------------------------------------------------------

class RefFailure extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}
type Env = { quantities: Map<string, Decimal>; period: Map<string, Decimal>; attributes: Map<string, string>; cost: Decimal; rate: Decimal };

const floorDiv = (a: bigint, b: bigint) => (a % b === 0n || a > 0n === b > 0n ? a / b : a / b - 1n);

/** graduated as a difference of the cumulative tier price C(x), unlike the engine's per-tier split. */
function refGraduated(q: Decimal, used: Decimal, ts: [Decimal, Decimal][]): Decimal {
  const cumulative = (x: Decimal) => {
    let total = Decimal.ZERO;
    ts.forEach(([start, rate], i) => {
      const end = ts[i + 1]?.[0];
      const top = end !== undefined && x.gt(end) ? end : x;
      if (top.gt(start)) total = total.plus(top.minus(start).times(rate));
    });
    return total;
  };
  return cumulative(used.plus(q)).minus(cumulative(used));
}

function refVolume(q: Decimal, used: Decimal, ts: [Decimal, Decimal][]): Decimal {
  const total = (x: Decimal) => x.times([...ts].reverse().find(([start]) => start.lte(x))?.[1] ?? Decimal.ZERO);
  return total(used.plus(q)).minus(total(used));
}

function refNum(t: Num, env: Env): Decimal {
  switch (t.k) {
    case "lit":
      return d(t.v);
    case "meter":
      return env.quantities.get(t.name) ?? Decimal.ZERO;
    case "period":
      return env.period.get(t.name) ?? Decimal.ZERO;
    case "cost":
      return env.cost;
    case "rate":
      return env.rate;
    case "neg":
      return Decimal.ZERO.minus(refNum(t.x, env));
    case "bin": {
      const l = refNum(t.l, env);
      const r = refNum(t.r, env);
      if (t.op === "+") return l.plus(r);
      if (t.op === "-") return l.minus(r);
      if (t.op === "*") return l.times(r);
      const q = l.dividedBy(r);
      if (!q.ok) throw new RefFailure("DIVISION_BY_ZERO");
      return q.value;
    }
    case "minmax": {
      const values = t.args.map((a) => refNum(a, env));
      return values.reduce((best, v) => ((t.f === "min" ? v.cmp(best) < 0 : v.cmp(best) > 0) ? v : best));
    }
    case "step": {
      const x = refNum(t.x, env);
      const s = refNum(t.s, env);
      if (s.cmp(Decimal.ZERO) <= 0) throw new RefFailure("INVALID_ARGUMENT");
      const down = floorDiv(x.units, s.units) * s.units;
      return Decimal.fromUnits(t.f === "floor" || down === x.units ? down : down + s.units);
    }
    case "round": {
      const x = refNum(t.x, env);
      const digits = refNum(t.digits, env);
      const n = Number(digits.toString());
      if (!Number.isInteger(n) || n < 0 || n > 18) throw new RefFailure("INVALID_ARGUMENT");
      return x.roundTo(n, "HALF_EVEN");
    }
    case "ifn":
      return refCond(t.c, env) ? refNum(t.t, env) : refNum(t.e, env);
    case "tiered": {
      const q = refNum(t.q, env);
      const used = refNum(t.used, env);
      if (q.isNegative() || used.isNegative()) throw new RefFailure("INVALID_ARGUMENT");
      const ts = t.tiers.map(([s, r]): [Decimal, Decimal] => [d(s), d(r)]);
      return t.f === "graduated" ? refGraduated(q, used, ts) : refVolume(q, used, ts);
    }
  }
}

function refStr(t: Str, env: Env): string {
  switch (t.k) {
    case "str":
      return t.v;
    case "attr":
      return env.attributes.get(t.name) ?? "";
    case "ifs":
      return refCond(t.c, env) ? refStr(t.t, env) : refStr(t.e, env);
  }
}

function refCond(t: Cond, env: Env): boolean {
  switch (t.k) {
    case "bool":
      return t.v;
    case "cmp": {
      const c = refNum(t.l, env).cmp(refNum(t.r, env));
      return { "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0, "==": c === 0, "!=": c !== 0 }[t.op];
    }
    case "scmp": {
      const l = refStr(t.l, env);
      const r = refStr(t.r, env);
      return t.op === "==" ? l === r : l !== r;
    }
    case "bcmp": {
      const l = refCond(t.l, env);
      const r = refCond(t.r, env);
      return t.op === "==" ? l === r : l !== r;
    }
    case "not":
      return !refCond(t.c, env);
    case "logic":
      return t.op === "&&" ? refCond(t.l, env) && refCond(t.r, env) : refCond(t.l, env) || refCond(t.r, env);
    case "ifb":
      return refCond(t.c, env) ? refCond(t.t, env) : refCond(t.e, env);
  }
}

// ---- Inputs --------------------------------------------------------------------------------

/** Whole quantities, zero (so divisions and steps fail now and then) and fractions of at most 6 digits. */
const exactQuantity = fc.oneof(
  fc.integer({ min: 0, max: 100_000 }).map((n) => Decimal.fromBigInt(BigInt(n))),
  fc.constant(Decimal.ZERO),
  fc.integer({ min: 0, max: 10 ** 9 }).map((n) => Decimal.fromUnits(BigInt(n) * 10n ** 12n)),
);
const optionalEntries = <T>(keys: readonly string[], value: fc.Arbitrary<T>) =>
  fc.array(fc.option(value, { nil: undefined }), { minLength: keys.length, maxLength: keys.length }).map((vs) => new Map(keys.flatMap((k, i) => (vs[i] === undefined ? [] : [[k, vs[i]] as [string, T]]))));
const meterKeys = ["input_tokens", "output_tokens", "images"];
const env: fc.Arbitrary<Env> = fc.record({
  quantities: optionalEntries(meterKeys, exactQuantity),
  period: optionalEntries(meterKeys, exactQuantity),
  attributes: optionalEntries(["region", "tier"], fc.constantFrom("", "eu", "us", "batch")),
  cost: exactQuantity,
  rate: literalText.map(d),
});
const inputsOf = (e: Env): FormulaInputs => ({ quantities: e.quantities, period: e.period, attributes: e.attributes, cost: e.cost });
const source = (expression: string, rate: Decimal) => ({ expression, rates: { rate_x: rate.toString() } });

/** Problems a random tree may legitimately be refused for at publish. */
const publishRefusals = /^(DIVISION_BY_ZERO|INVALID_ARGUMENT|TOO_LONG|TOO_DEEP|TOO_MANY_NODES)$/;

function reference(tree: Num, e: Env): { ok: true; value: string } | { ok: false; code: string } {
  try {
    return { ok: true, value: refNum(tree, e).toString() };
  } catch (failure) {
    if (failure instanceof RefFailure) return { ok: false, code: failure.code };
    throw failure;
  }
}

describe("the compiled formula, on random expressions over the whole grammar", () => {
  it("agrees with the independent reference interpreter: the same amount, or the same problem", () => {
    fc.assert(
      fc.property(num, env, (tree, e) => {
        const compiled = compileFormula(source(printTree(tree, false).text, e.rate), priceEnv);
        if (!compiled.ok) {
          for (const error of compiled.error) expect(error.code).toMatch(publishRefusals);
          return;
        }
        const expected = reference(tree, e);
        const got = compiled.value.evaluate(inputsOf(e));
        expect(got.ok ? { ok: true, value: got.value.toString() } : { ok: false, code: got.error.code }).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it("groups exactly as the precedence table says: minimal parentheses mean the same as full ones", () => {
    fc.assert(
      fc.property(num, env, (tree, e) => {
        const full = compileFormula(source(printTree(tree, false).text, e.rate), priceEnv);
        const minimal = compileFormula(source(printTree(tree, true).text, e.rate), priceEnv);
        expect(minimal.ok).toBe(full.ok);
        if (!full.ok || !minimal.ok) return; // refused at publish (literal zero divisor, limits)
        const a = full.value.evaluate(inputsOf(e));
        const b = minimal.value.evaluate(inputsOf(e));
        expect(b.ok ? b.value.toString() : b.error.code).toBe(a.ok ? a.value.toString() : a.error.code);
      }),
      { numRuns: 400 },
    );
  });

  it("groups conditions as the precedence table says, and agrees with the reference on them", () => {
    fc.assert(
      fc.property(cond, env, (c, e) => {
        const [full, minimal] = [false, true].map((m) => compileFormula(source(`if(${printTree(c, m).text}, 1, 0)`, e.rate), priceEnv));
        expect(minimal?.ok).toBe(full?.ok);
        if (!full?.ok || !minimal?.ok) return;
        const a = full.value.evaluate(inputsOf(e));
        const b = minimal.value.evaluate(inputsOf(e));
        expect(b.ok ? b.value.toString() : b.error.code).toBe(a.ok ? a.value.toString() : a.error.code);
        const expected = reference({ k: "ifn", c, t: { k: "lit", v: "1" }, e: { k: "lit", v: "0" } }, e);
        expect(a.ok ? { ok: true, value: a.value.toString() } : { ok: false, code: a.error.code }).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it("accepts a condition only where a condition belongs", () => {
    fc.assert(
      fc.property(cond, (c) => {
        const compiled = compileFormula({ expression: printTree(c, true).text, rates: { rate_x: "1" } }, priceEnv);
        expect(compiled.ok).toBe(false);
        if (!compiled.ok) expect(compiled.error.map((x) => x.code)).toEqual(expect.arrayContaining([expect.stringMatching(/^(TYPE|DIVISION_BY_ZERO|INVALID_ARGUMENT|TOO_.*)$/)]));
      }),
      { numRuns: 200 },
    );
  });
});

describe("no input makes compilation or evaluation throw or run without bound", () => {
  const wildDecimal = fc.oneof(
    fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(Decimal.fromUnits),
    fc.constantFrom(Decimal.ZERO, Decimal.ONE, Decimal.ONE.negate()),
  );
  const wildInputs = fc.record(
    {
      quantities: optionalEntries(meterKeys, wildDecimal),
      attributes: optionalEntries(["region", "tier"], fc.string({ maxLength: 8 })),
      cost: wildDecimal,
      period: optionalEntries(meterKeys, wildDecimal),
    },
    { requiredKeys: ["quantities", "attributes"] },
  );
  const evaluationBudgetMs = 1000;

  it("random expression trees: a Result every time, within the node limit, in bounded time", () => {
    fc.assert(
      fc.property(num, wildInputs, (tree, inputs) => {
        const started = performance.now();
        const compiled = compileFormula(source(printTree(tree, true).text, Decimal.ONE), priceEnv);
        if (compiled.ok) {
          expect(nodeCount(tree)).toBeLessThanOrEqual(limits.formulaNodeCountMax);
          const result = compiled.value.evaluate(inputs);
          expect(result.ok ? result.value instanceof Decimal : typeof result.error.message === "string").toBe(true);
        } else {
          expect(compiled.error.length).toBeGreaterThan(0);
        }
        expect(performance.now() - started).toBeLessThan(evaluationBudgetMs);
      }),
      { numRuns: 300 },
    );
  });

  it("long flat chains and deep nests stop at the node and depth limits", () => {
    const operand = fc.constantFrom("1", "images", "rate_x", "cost", "period.images", "max(1, 2)", "-1");
    const chain = fc.tuple(fc.array(operand, { minLength: 1, maxLength: 700 }), fc.constantFrom(" + ", " * ", " - ", " / ", "+")).map(([ops, sep]) => ops.join(sep));
    const nest = fc.tuple(fc.integer({ min: 1, max: 120 }), fc.constantFrom(["(", ")"], ["min(1, ", ")"], ["-(", ")"], ["if(true, ", ", 0)"])).map(([n, [open, close]]) => open.repeat(n) + "images" + close.repeat(n));
    fc.assert(
      fc.property(fc.oneof(chain, nest), wildInputs, (expression, inputs) => {
        const compiled = compileFormula(source(expression, Decimal.ONE), priceEnv);
        if (compiled.ok) expect(typeof compiled.value.evaluate(inputs).ok).toBe("boolean");
        else for (const error of compiled.error) expect(error.code).toMatch(/^(TOO_LONG|TOO_DEEP|TOO_MANY_NODES|DIVISION_BY_ZERO)$/);
      }),
      { numRuns: 200 },
    );
  });

  it("random text never makes the parser throw: it returns positioned errors", () => {
    const alphabet = fc.constantFrom(..."0123456789.+-*/()<>=!&|, \"'_abcdefghijklmnopqrstuvwxyz\n\t".split(""));
    const tokenLike = fc.constantFrom(
      "input_tokens", "rate_x", "cost", "attr.x", "period.images", "period.", "attr", "min(", "max(", "if(", "graduated(", "volume(",
      "round(", "ceil(", "floor(", "constructor(", "__proto__", ")", ",", "1", "0.5", "0", "1e5", " + ", " * ", " / ", " == ", "!", "&&", "'s'", '"',
    );
    const text = fc.oneof(
      fc.string({ unit: alphabet, maxLength: 200 }),
      fc.array(tokenLike, { maxLength: 80 }).map((t) => t.join("")),
      // Any code points, lone surrogates included (built by hand: fc's "binary" unit is slow to set up).
      fc.array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 60 }).map((points) => String.fromCodePoint(...points)),
      // Text around the length limit, built by repeating a short piece (fast-check is slow to build long strings directly).
      fc
        .tuple(fc.string({ unit: alphabet, minLength: 1, maxLength: 40 }), fc.integer({ min: -10, max: 10 }))
        .map(([piece, delta]) => piece.repeat(Math.ceil((limits.formulaLengthMax + delta) / piece.length)).slice(0, limits.formulaLengthMax + delta)),
    );
    fc.assert(
      fc.property(text, (expression) => {
        const compiled = compileFormula({ expression, rates: { rate_x: "0.5" } }, priceEnv);
        if (compiled.ok) {
          const result = compiled.value.evaluate({ quantities: new Map(), attributes: new Map(), cost: Decimal.ONE, period: new Map() });
          expect(typeof result.ok).toBe("boolean");
          return;
        }
        for (const error of compiled.error) {
          expect(error.message.length).toBeGreaterThan(0);
          expect(error.path).toMatch(/^(expression|rates(\..+)?)$/);
          if (error.pos) {
            expect(error.pos.offset).toBeGreaterThanOrEqual(0);
            expect(error.pos.offset).toBeLessThanOrEqual(expression.length);
            expect(error.pos.column).toBe(error.pos.offset + 1);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
