import type { Decimal } from "../money/decimal.js";

export type BinaryOperator = "+" | "-" | "*" | "/" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||";
export type UnaryOperator = "-" | "!";

/**
 * The parsed formula, before any name is resolved: a closed union, so every consumer switches
 * over `kind` exhaustively. `pos` is the 0-based offset in the expression of the token the node
 * starts at (for a binary node: its operator, which is where errors about it point).
 * A `name` is a plain identifier (`input_tokens`) or a dotted one (`attr.region`, `period.images`).
 */
export type Node =
  | { readonly kind: "number"; readonly value: Decimal; readonly pos: number }
  | { readonly kind: "string"; readonly value: string; readonly pos: number }
  | { readonly kind: "bool"; readonly value: boolean; readonly pos: number }
  | { readonly kind: "name"; readonly name: string; readonly pos: number }
  | { readonly kind: "unary"; readonly op: UnaryOperator; readonly operand: Node; readonly pos: number }
  | { readonly kind: "binary"; readonly op: BinaryOperator; readonly left: Node; readonly right: Node; readonly pos: number }
  | { readonly kind: "call"; readonly name: string; readonly args: readonly Node[]; readonly pos: number };

/** The three types a formula value can have. */
export type ValueType = "decimal" | "bool" | "string";
