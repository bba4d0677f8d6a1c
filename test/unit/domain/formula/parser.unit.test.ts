import { describe, expect, it } from "@jest/globals";
import type { Node } from "../../../../src/domain/formula/ast.js";
import { parse } from "../../../../src/domain/formula/parser.js";
import { limits } from "../../../../src/domain/limits.js";

function tree(source: string): Node {
  const result = parse(source);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

/** The tree printed fully parenthesised, to state grouping without restating every position. */
function show(node: Node): string {
  switch (node.kind) {
    case "number":
      return node.value.toString();
    case "string":
      return JSON.stringify(node.value);
    case "bool":
      return String(node.value);
    case "name":
      return node.name;
    case "unary":
      return `(${node.op}${show(node.operand)})`;
    case "binary":
      return `(${show(node.left)} ${node.op} ${show(node.right)})`;
    case "call":
      return `${node.name}(${node.args.map(show).join(", ")})`;
  }
}

function failure(source: string) {
  const result = parse(source);
  if (result.ok) throw new Error(`expected ${JSON.stringify(source)} to be refused`);
  return result.error;
}

describe("grouping, from one table of binding powers", () => {
  it.each([
    ["1 + 2 * 3", "(1 + (2 * 3))"],
    ["(1 + 2) * 3", "((1 + 2) * 3)"],
    ["10 - 4 - 3", "((10 - 4) - 3)"],
    ["12 / 3 / 2", "((12 / 3) / 2)"],
    ["2 * 3 / 4 * 5", "(((2 * 3) / 4) * 5)"],
    ["-2 * 3 + 1", "(((-2) * 3) + 1)"],
    ["2 * -3", "(2 * (-3))"],
    ["- -2", "(-(-2))"],
    ["-x.y", "(-x.y)"],
    ["!a && b", "((!a) && b)"],
    ["!a == b", "((!a) == b)"],
    ["a || b && c", "(a || (b && c))"],
    ["a && b || c", "((a && b) || c)"],
    ["a == b && c != d", "((a == b) && (c != d))"],
    ["a < b == c >= d", "((a < b) == (c >= d))"],
    ["1 < 2 < 3", "((1 < 2) < 3)"],
    ["a + b < c * d", "((a + b) < (c * d))"],
    ["a == b == c", "((a == b) == c)"],
    ["x - 1 == 2 || y", "(((x - 1) == 2) || y)"],
  ])("%s groups as %s", (source, grouped) => {
    expect(show(tree(source))).toBe(grouped);
  });

  it("reads calls, with any expression as an argument", () => {
    expect(show(tree("max(a * 2, min(b, 3), if(c > 1, 2, 3))"))).toBe("max((a * 2), min(b, 3), if((c > 1), 2, 3))");
    expect(show(tree("f()"))).toBe("f()");
  });

  it("reads true and false as booleans, and string literals", () => {
    expect(tree("true")).toMatchObject({ kind: "bool", value: true });
    expect(tree("'eu'")).toMatchObject({ kind: "string", value: "eu" });
  });
});

describe("positions in the tree", () => {
  it("places a binary node at its operator and other nodes at their first token", () => {
    const node = tree("max(1, -x) + 2");
    expect(node).toMatchObject({
      kind: "binary",
      pos: 11,
      left: { kind: "call", pos: 0, args: [{ kind: "number", pos: 4 }, { kind: "unary", pos: 7, operand: { kind: "name", pos: 8 } }] },
      right: { kind: "number", pos: 13 },
    });
  });
});

describe("syntax errors say what was expected, and where", () => {
  it.each([
    ["input_tokens *", 15, "expected a number, name, \"(\" or function call, found end of expression"],
    ["1 + 2*(3 + 4", 13, 'expected ")" to close "(" opened at column 7, found end of expression'],
    ["(1 + 2", 7, 'expected ")" to close "(" opened at column 1, found end of expression'],
    ["(1 + 2 3)", 8, 'expected ")" to close "(" opened at column 1, found number 3'],
    ["min(1, 2", 9, 'expected "," or ")" to close "(" opened at column 4, found end of expression'],
    ["min(1 2)", 7, 'expected "," or ")" to close "(" opened at column 4, found number 2'],
    ["min(1,)", 7, 'expected a number, name, "(" or function call, found ")"'],
    ["1 2", 3, "expected an operator or end of expression, found number 2"],
    ["1 +* 2", 4, 'expected a number, name, "(" or function call, found "*"'],
    ["()", 2, 'expected a number, name, "(" or function call, found ")"'],
    ["x)", 2, 'expected an operator or end of expression, found ")"'],
    ["x 'eu'", 3, 'expected an operator or end of expression, found string "eu"'],
    ["true(1)", 5, 'expected an operator or end of expression, found "("'],
    ["", 1, "expression is empty"],
    [" \n ", 1, "expression is empty"],
  ])("%p: column %i, %s", (source, column, message) => {
    const error = failure(source);
    expect(error.code).toBe("SYNTAX");
    expect(error.pos).toEqual({ offset: column - 1, column });
    expect(error.message).toBe(`column ${column}: ${message}`);
    expect(error.path).toBe("expression");
  });

  it("reports lexer errors through the parser", () => {
    expect(failure("x = 1").message).toBe('column 3: unexpected character "=" (use "==" to compare)');
  });
});

describe("limits: no input makes the parser work without bound", () => {
  const parens = (n: number) => "(".repeat(n) + "1" + ")".repeat(n);

  it(`refuses an expression longer than ${limits.formulaLengthMax} characters before reading it`, () => {
    expect(parse("1".padEnd(limits.formulaLengthMax, " ")).ok).toBe(true);
    const error = failure("1".padEnd(limits.formulaLengthMax + 1, " "));
    expect(error.code).toBe("TOO_LONG");
    expect(error.message).toBe(`expression is ${limits.formulaLengthMax + 1} characters; at most ${limits.formulaLengthMax}`);
  });

  it(`refuses nesting deeper than ${limits.formulaDepthMax} levels, counting the top level`, () => {
    expect(parse(parens(limits.formulaDepthMax - 1)).ok).toBe(true);
    expect(failure(parens(limits.formulaDepthMax)).code).toBe("TOO_DEEP");
    expect(failure(parens(2000)).message).toBe(`column 65: formula nests deeper than ${limits.formulaDepthMax} levels`);
    expect(failure("-".repeat(limits.formulaDepthMax) + "1").code).toBe("TOO_DEEP");
    expect(failure("!".repeat(3000) + "true").code).toBe("TOO_DEEP");
    expect(failure("min(".repeat(100) + "1").code).toBe("TOO_DEEP");
  });

  it(`refuses more than ${limits.formulaNodeCountMax} nodes, even when they nest shallowly`, () => {
    const sum = (terms: number) => Array.from({ length: terms }, () => "1").join("+");
    const terms = limits.formulaNodeCountMax / 2; // n numbers and n - 1 "+": 2n - 1 nodes
    expect(parse(sum(terms)).ok).toBe(true);
    expect(failure(sum(terms + 1)).code).toBe("TOO_MANY_NODES");
  });

  it(`refuses a call with more than ${limits.formulaCallArgsMax} arguments`, () => {
    const call = (n: number) => `graduated(${Array.from({ length: n }, () => "1").join(", ")})`;
    expect(parse(call(limits.formulaCallArgsMax)).ok).toBe(true);
    const error = failure(call(limits.formulaCallArgsMax + 1));
    expect(error.code).toBe("TOO_MANY_ARGUMENTS");
    expect(error.message).toContain(`a call takes at most ${limits.formulaCallArgsMax} arguments`);
  });
});
