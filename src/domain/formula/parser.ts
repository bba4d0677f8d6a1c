import { limits } from "../limits.js";
import { err, ok, type Result } from "../result.js";
import type { BinaryOperator, Node } from "./ast.js";
import { expressionError, type FormulaError } from "./errors.js";
import { tokenize, type Operator, type Token } from "./lexer.js";

/**
 * Binding powers, lowest first: the single source of precedence. All binary operators are
 * left-associative; unary `-` and `!` bind tighter than any of them.
 */
const binaryPower: Readonly<Partial<Record<Operator, number>>> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
};
const unaryPower = 7;

class ParseFailure {
  constructor(readonly error: FormulaError) {}
}

const describe = (t: Token): string =>
  t.kind === "end" ? "end of expression" : t.kind === "number" ? `number ${t.text}` : t.kind === "string" ? `string "${t.value}"` : `"${t.value}"`;

/** A Pratt parser over the token list, bounded in depth and node count. */
class Parser {
  private index = 0;
  private nodes = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token {
    return this.tokens[this.index] ?? { kind: "end", offset: 0 };
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== "end") this.index++;
    return token;
  }

  private fail(message: string, offset: number, code: FormulaError["code"] = "SYNTAX"): never {
    throw new ParseFailure(expressionError(code, message, offset));
  }

  private count(offset: number): void {
    if (++this.nodes > limits.formulaNodeCountMax) this.fail(`formula has more than ${limits.formulaNodeCountMax} parts`, offset, "TOO_MANY_NODES");
  }

  parseAll(): Node {
    const node = this.expression(0, 1);
    const rest = this.peek();
    if (rest.kind !== "end") this.fail(`expected an operator or end of expression, found ${describe(rest)}`, rest.offset);
    return node;
  }

  private expression(minPower: number, depth: number): Node {
    if (depth > limits.formulaDepthMax) this.fail(`formula nests deeper than ${limits.formulaDepthMax} levels`, this.peek().offset, "TOO_DEEP");
    let left = this.prefix(depth);
    for (;;) {
      const token = this.peek();
      if (token.kind !== "op") break;
      const power = binaryPower[token.value];
      if (power === undefined || power <= minPower) break;
      this.next();
      const right = this.expression(power, depth + 1);
      this.count(token.offset);
      left = { kind: "binary", op: token.value as BinaryOperator, left, right, pos: token.offset };
    }
    return left;
  }

  private prefix(depth: number): Node {
    const token = this.next();
    this.count(token.offset);
    switch (token.kind) {
      case "number":
        return { kind: "number", value: token.value, pos: token.offset };
      case "string":
        return { kind: "string", value: token.value, pos: token.offset };
      case "name": {
        if (token.value === "true" || token.value === "false") return { kind: "bool", value: token.value === "true", pos: token.offset };
        const open = this.peek();
        if (open.kind === "op" && open.value === "(") {
          this.next();
          return { kind: "call", name: token.value, args: this.arguments(open.offset, depth), pos: token.offset };
        }
        return { kind: "name", name: token.value, pos: token.offset };
      }
      case "op":
        if (token.value === "-" || token.value === "!") {
          return { kind: "unary", op: token.value, operand: this.expression(unaryPower - 1, depth + 1), pos: token.offset };
        }
        if (token.value === "(") {
          const inner = this.expression(0, depth + 1);
          this.expect(")", `to close "(" opened at column ${token.offset + 1}`);
          return inner;
        }
        return this.fail(`expected a number, name, "(" or function call, found ${describe(token)}`, token.offset);
      case "end":
        return this.fail("expected a number, name, \"(\" or function call, found end of expression", token.offset);
    }
  }

  private arguments(openOffset: number, depth: number): Node[] {
    const args: Node[] = [];
    const first = this.peek();
    if (first.kind === "op" && first.value === ")") {
      this.next();
      return args;
    }
    for (;;) {
      if (args.length >= limits.formulaCallArgsMax) this.fail(`a call takes at most ${limits.formulaCallArgsMax} arguments`, this.peek().offset, "TOO_MANY_NODES");
      args.push(this.expression(0, depth + 1));
      const token = this.next();
      if (token.kind === "op" && token.value === ")") return args;
      if (!(token.kind === "op" && token.value === ",")) {
        this.fail(`expected "," or ")" to close "(" opened at column ${openOffset + 1}, found ${describe(token)}`, token.offset);
      }
    }
  }

  private expect(op: Operator, why: string): void {
    const token = this.next();
    if (!(token.kind === "op" && token.value === op)) this.fail(`expected "${op}" ${why}, found ${describe(token)}`, token.offset);
  }
}

/** Parses an expression into a syntax tree, or the first syntax problem with its position. */
export function parse(source: string): Result<Node, FormulaError> {
  if (source.length > limits.formulaLengthMax) {
    return err({ code: "TOO_LONG", message: `expression is ${source.length} characters; at most ${limits.formulaLengthMax}`, path: "expression" });
  }
  if (source.trim() === "") return err(expressionError("SYNTAX", "expression is empty", 0));
  const tokens = tokenize(source);
  if (!tokens.ok) return tokens;
  try {
    return ok(new Parser(tokens.value).parseAll());
  } catch (failure) {
    if (failure instanceof ParseFailure) return err(failure.error);
    throw failure;
  }
}
