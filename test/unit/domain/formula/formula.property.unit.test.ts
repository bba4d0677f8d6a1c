import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { compileFormula } from "../../../../src/domain/formula/index.js";
import { Decimal } from "../../../../src/domain/money/decimal.js";

/** The generator's own tree, printed fully parenthesised and evaluated by a slow reference. */
type Num =
  | { k: "lit"; v: string }
  | { k: "meter"; name: "a" | "b" | "c" }
  | { k: "rate" }
  | { k: "neg"; x: Num }
  | { k: "bin"; op: "+" | "-" | "*" | "/"; l: Num; r: Num }
  | { k: "minmax"; f: "min" | "max"; args: Num[] }
  | { k: "step"; f: "ceil" | "floor"; x: Num; s: Num }
  | { k: "round"; x: Num; digits: number }
  | { k: "if"; c: Cond; t: Num; e: Num };
type Cond = { k: "cmp"; op: "<" | "<=" | ">" | ">=" | "==" | "!="; l: Num; r: Num } | { k: "not"; c: Cond } | { k: "and" | "or"; l: Cond; r: Cond };

const literal = fc.oneof(fc.integer({ min: 0, max: 1000 }).map(String), fc.tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 0, max: 9999 })).map(([a, b]) => `${a}.${b}`));

const { num } = fc.letrec<{ num: Num; cond: Cond }>((tie) => ({
  num: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    literal.map((v): Num => ({ k: "lit", v })),
    fc.constantFrom("a", "b", "c").map((name): Num => ({ k: "meter", name: name as "a" | "b" | "c" })),
    fc.constant<Num>({ k: "rate" }),
    tie("num").map((x): Num => ({ k: "neg", x: x as Num })),
    fc.tuple(fc.constantFrom("+", "-", "*", "/"), tie("num"), tie("num")).map(([op, l, r]): Num => ({ k: "bin", op: op as "+", l: l as Num, r: r as Num })),
    fc.tuple(fc.constantFrom("min", "max"), fc.array(tie("num"), { minLength: 2, maxLength: 3 })).map(([f, args]): Num => ({ k: "minmax", f: f as "min", args: args as Num[] })),
    fc.tuple(fc.constantFrom("ceil", "floor"), tie("num"), tie("num")).map(([f, x, s]): Num => ({ k: "step", f: f as "ceil", x: x as Num, s: s as Num })),
    fc.tuple(tie("num"), fc.integer({ min: 0, max: 6 })).map(([x, digits]): Num => ({ k: "round", x: x as Num, digits })),
    fc.tuple(tie("cond"), tie("num"), tie("num")).map(([c, t, e]): Num => ({ k: "if", c: c as Cond, t: t as Num, e: e as Num })),
  ),
  cond: fc.oneof(
    { depthSize: "small" },
    fc.tuple(fc.constantFrom("<", "<=", ">", ">=", "==", "!="), tie("num"), tie("num")).map(([op, l, r]): Cond => ({ k: "cmp", op: op as "<", l: l as Num, r: r as Num })),
    tie("cond").map((c): Cond => ({ k: "not", c: c as Cond })),
    fc.tuple(fc.constantFrom("and", "or"), tie("cond"), tie("cond")).map(([k, l, r]): Cond => ({ k: k as "and", l: l as Cond, r: r as Cond })),
  ),
}));

function print(n: Num): string {
  switch (n.k) {
    case "lit":
      return n.v;
    case "meter":
      return n.name === "a" ? "input_tokens" : n.name === "b" ? "output_tokens" : "images";
    case "rate":
      return "rate_x";
    case "neg":
      return `(-${print(n.x)})`;
    case "bin":
      return `(${print(n.l)} ${n.op} ${print(n.r)})`;
    case "minmax":
      return `${n.f}(${n.args.map(print).join(", ")})`;
    case "step":
      return `${n.f}(${print(n.x)}, ${print(n.s)})`;
    case "round":
      return `round(${print(n.x)}, ${n.digits})`;
    case "if":
      return `if(${printCond(n.c)}, ${print(n.t)}, ${print(n.e)})`;
  }
}
function printCond(c: Cond): string {
  switch (c.k) {
    case "cmp":
      return `(${print(c.l)} ${c.op} ${print(c.r)})`;
    case "not":
      return `(!${printCond(c.c)})`;
    case "and":
      return `(${printCond(c.l)} && ${printCond(c.r)})`;
    case "or":
      return `(${printCond(c.l)} || ${printCond(c.r)})`;
  }
}

class Undefined extends Error {}
type Env = { a: Decimal; b: Decimal; c: Decimal; rate: Decimal };
const dec = (s: string) => {
  const p = Decimal.parse(s);
  if (!p.ok) throw new Error(p.error);
  return p.value;
};

/** The slow reference: a direct recursive interpreter, independent of the compiled closures. */
function ref(n: Num, env: Env): Decimal {
  switch (n.k) {
    case "lit":
      return dec(n.v);
    case "meter":
      return env[n.name];
    case "rate":
      return env.rate;
    case "neg":
      return ref(n.x, env).negate();
    case "bin": {
      const l = ref(n.l, env);
      const r = ref(n.r, env);
      if (n.op === "+") return l.plus(r);
      if (n.op === "-") return l.minus(r);
      if (n.op === "*") return l.times(r);
      const q = l.dividedBy(r);
      if (!q.ok) throw new Undefined();
      return q.value;
    }
    case "minmax": {
      const values = n.args.map((a) => ref(a, env));
      return n.f === "min" ? Decimal.min(values[0]!, ...values.slice(1)) : Decimal.max(values[0]!, ...values.slice(1));
    }
    case "step": {
      const x = ref(n.x, env);
      const s = ref(n.s, env);
      if (!s.isPositive()) throw new Undefined();
      return n.f === "ceil" ? x.ceilToStep(s) : x.floorToStep(s);
    }
    case "round":
      return ref(n.x, env).roundTo(n.digits);
    case "if":
      return refCond(n.c, env) ? ref(n.t, env) : ref(n.e, env);
  }
}
function refCond(c: Cond, env: Env): boolean {
  switch (c.k) {
    case "cmp": {
      const l = ref(c.l, env);
      const r = ref(c.r, env);
      return { "<": l.lt(r), "<=": l.lte(r), ">": l.gt(r), ">=": l.gte(r), "==": l.eq(r), "!=": !l.eq(r) }[c.op];
    }
    case "not":
      return !refCond(c.c, env);
    case "and":
      return refCond(c.l, env) && refCond(c.r, env);
    case "or":
      return refCond(c.l, env) || refCond(c.r, env);
  }
}

const meters = new Set(["input_tokens", "output_tokens", "images"]);
const quantity = fc.integer({ min: 0, max: 100_000 }).map((n) => Decimal.fromBigInt(BigInt(n)));

describe("the compiled formula, on random expressions", () => {
  it("agrees with the independent reference evaluator, or both find the value undefined", () => {
    fc.assert(
      fc.property(num, quantity, quantity, quantity, literal, (tree, a, b, c, rate) => {
        const text = print(tree);
        const compiled = compileFormula({ expression: text, rates: { rate_x: rate } }, { meters, allowCost: false });
        // Literal division by zero or a literal non-positive step is refused at publish.
        if (!compiled.ok) {
          expect(compiled.error.map((e) => e.code)).toEqual(expect.arrayContaining([expect.stringMatching(/DIVISION_BY_ZERO|INVALID_ARGUMENT|TOO_/)]));
          return;
        }
        const env = { a, b, c, rate: dec(rate) };
        let expected: Decimal | "undefined";
        try {
          expected = ref(tree, env);
        } catch (e) {
          if (!(e instanceof Undefined)) throw e;
          expected = "undefined";
        }
        const got = compiled.value.evaluate({ quantities: new Map([["input_tokens", a], ["output_tokens", b], ["images", c]]), attributes: new Map() });
        if (expected === "undefined") expect(got.ok).toBe(false);
        else expect(got.ok && got.value.toString()).toBe(expected.toString());
      }),
      { numRuns: 400 },
    );
  });

  // "Never hangs" rests on the parser's length, depth and node limits; the test's own timeout
  // is the backstop if they ever stop holding.
  it("never throws, for any input text, compiled or evaluated", () => {
    const alphabet = fc.constantFrom(..."0123456789.+-*/()<>=!&|, \"'_abcdefghijklmnopqrstuvwxyz".split(""));
    const tokensLike = fc.constantFrom("input_tokens", "rate_x", "cost", "attr.x", "period.images", "min(", "max(", "if(", "graduated(", "volume(", "round(", ")", ",", "1", "0.5", " + ", " * ", " / ", " == ", "!", "&&");
    const text = fc.oneof(fc.string({ unit: alphabet, maxLength: 200 }), fc.array(tokensLike, { maxLength: 80 }).map((t) => t.join("")));
    fc.assert(
      fc.property(text, quantity, (expression, q) => {
        const compiled = compileFormula({ expression, rates: { rate_x: "0.5" } }, { meters, allowCost: true });
        if (compiled.ok) {
          const result = compiled.value.evaluate({ quantities: new Map([["images", q]]), attributes: new Map(), cost: q, period: new Map() });
          expect(typeof result.ok).toBe("boolean");
        } else {
          for (const e of compiled.error) expect(typeof e.message).toBe("string");
        }
      }),
      { numRuns: 1000 },
    );
  });
});
