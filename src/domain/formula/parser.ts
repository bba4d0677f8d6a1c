import { limits } from "../limits.js";
import { Decimal } from "../money/decimal.js";
import { err, ok, type Result } from "../result.js";
import type { BinaryOperator, Node, UnaryOperator } from "./ast.js";
import { expressionError, type FormulaError } from "./errors.js";
import { tokenize, type Operator, type Token } from "./lexer.js";

/**
 * The one precedence table: binding powers, loosest first. Every binary operator is
 * left-associative (its right operand is parsed at its own power, so an equal operator stops
 * it). Unary `-` and `!` bind tighter than every binary operator.
 */
const binaryPower: ReadonlyMap<Operator, number> = new Map<BinaryOperator, number>([
  ["||", 1],
  ["&&", 2],
  ["==", 3],
  ["!=", 3],
  ["<", 4],
  ["<=", 4],
  [">", 4],
  [">=", 4],
  ["+", 5],
  ["-", 5],
  ["*", 6],
  ["/", 6],
]);
const unaryPower = 7;

const describe = (t: Token): string =>
  t.kind === "end" ? "end of expression" : t.kind === "number" ? `number ${t.text}` : t.kind === "string" ? `string "${t.value}"` : `"${t.value}"`;

const isOp = (t: Token, op: Operator): boolean => t.kind === "op" && t.value === op;

/** Stands in for a node after a failure; the tree it ends up in is discarded. */
const placeholder = (offset: number): Node => ({ kind: "number", value: Decimal.ZERO, pos: offset });

/**
 * A Pratt parser over the token list. It is bounded: nesting (each operand, parenthesis and
 * argument one level deeper) stops at `formulaDepthMax`, so JS recursion is bounded, and nodes
 * stop at `formulaNodeCountMax`. The node limit is what bounds everything downstream: a long
 * flat chain like `a + b + c + …` nests shallowly here but makes a tall tree, whose height is at
 * most its node count.
 *
 * Failure is sticky instead of thrown: the first error is kept, the cursor jumps to the end
 * token, and every method then returns quickly with a placeholder that is never used.
 */
class Parser {
  private index = 0;
  private nodes = 0;
  failure: FormulaError | undefined;

  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token {
    return this.tokens[this.index] ?? { kind: "end", offset: 0 };
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== "end") this.index++;
    return token;
  }

  /** Records the first failure, skips to the end, and returns a placeholder node. */
  private fail(code: FormulaError["code"], message: string, offset: number): Node {
    this.failure ??= expressionError(code, message, offset);
    this.index = this.tokens.length - 1;
    return placeholder(offset);
  }

  /** Counts one node; false (with the failure recorded) once there are too many. */
  private count(offset: number): boolean {
    if (++this.nodes <= limits.formulaNodeCountMax) return true;
    this.fail("TOO_MANY_NODES", `formula has more than ${limits.formulaNodeCountMax} parts`, offset);
    return false;
  }

  parseAll(): Node {
    const node = this.expression(0, 1);
    const rest = this.peek();
    if (rest.kind !== "end") return this.fail("SYNTAX", `expected an operator or end of expression, found ${describe(rest)}`, rest.offset);
    return node;
  }

  /** Parses operands joined by binary operators binding tighter than `minPower`. */
  private expression(minPower: number, depth: number): Node {
    if (depth > limits.formulaDepthMax) return this.fail("TOO_DEEP", `formula nests deeper than ${limits.formulaDepthMax} levels`, this.peek().offset);
    let left = this.prefix(depth);
    for (;;) {
      const token = this.peek();
      if (token.kind !== "op") break;
      const power = binaryPower.get(token.value);
      if (power === undefined || power <= minPower) break;
      this.next();
      const right = this.expression(power, depth + 1);
      if (!this.count(token.offset)) break;
      left = { kind: "binary", op: token.value as BinaryOperator, left, right, pos: token.offset };
    }
    return left;
  }

  /** An operand: a literal, a name, a call, a parenthesised expression or a unary operator. */
  private prefix(depth: number): Node {
    const token = this.next();
    if (!this.count(token.offset)) return placeholder(token.offset);
    switch (token.kind) {
      case "number":
        return { kind: "number", value: token.value, pos: token.offset };
      case "string":
        return { kind: "string", value: token.value, pos: token.offset };
      case "name": {
        if (token.value === "true" || token.value === "false") return { kind: "bool", value: token.value === "true", pos: token.offset };
        const open = this.peek();
        if (!isOp(open, "(")) return { kind: "name", name: token.value, pos: token.offset };
        this.next();
        return { kind: "call", name: token.value, args: this.arguments(open.offset, depth), pos: token.offset };
      }
      case "op": {
        if (token.value === "-" || token.value === "!") {
          const op: UnaryOperator = token.value;
          return { kind: "unary", op, operand: this.expression(unaryPower - 1, depth + 1), pos: token.offset };
        }
        if (token.value === "(") {
          const inner = this.expression(0, depth + 1);
          const close = this.next();
          if (!isOp(close, ")")) return this.fail("SYNTAX", `expected ")" to close "(" opened at column ${token.offset + 1}, found ${describe(close)}`, close.offset);
          return inner;
        }
        return this.fail("SYNTAX", `expected a number, name, "(" or function call, found ${describe(token)}`, token.offset);
      }
      case "end":
        return this.fail("SYNTAX", `expected a number, name, "(" or function call, found end of expression`, token.offset);
    }
  }

  /** Call arguments after the "(" at `openOffset`, up to and including the closing ")". */
  private arguments(openOffset: number, depth: number): Node[] {
    const args: Node[] = [];
    if (isOp(this.peek(), ")")) {
      this.next();
      return args;
    }
    for (;;) {
      if (args.length >= limits.formulaCallArgsMax) {
        this.fail("TOO_MANY_ARGUMENTS", `a call takes at most ${limits.formulaCallArgsMax} arguments`, this.peek().offset);
        return args;
      }
      args.push(this.expression(0, depth + 1));
      const token = this.next();
      if (isOp(token, ")")) return args;
      if (!isOp(token, ",")) {
        this.fail("SYNTAX", `expected "," or ")" to close "(" opened at column ${openOffset + 1}, found ${describe(token)}`, token.offset);
        return args;
      }
    }
  }
}

/**
 * Parses an expression into a syntax tree, or returns the first problem with its position.
 * Length is checked before anything else is read, so no work is proportional to an
 * over-long input.
 */
export function parse(source: string): Result<Node, FormulaError> {
  if (source.length > limits.formulaLengthMax) {
    return err({ code: "TOO_LONG", message: `expression is ${source.length} characters; at most ${limits.formulaLengthMax}`, path: "expression" });
  }
  const tokens = tokenize(source);
  if (!tokens.ok) return tokens;
  if (tokens.value.length === 1) return err(expressionError("SYNTAX", "expression is empty", 0));
  const parser = new Parser(tokens.value);
  const tree = parser.parseAll();
  return parser.failure ? err(parser.failure) : ok(tree);
}
