import type { Decimal } from "../money/decimal.js";

export type BinaryOperator = "+" | "-" | "*" | "/" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||";
export type UnaryOperator = "-" | "!";

/** The parsed formula: a closed union; every node knows where it starts in the source. */
export type Node =
  | { readonly kind: "number"; readonly value: Decimal; readonly pos: number }
  | { readonly kind: "string"; readonly value: string; readonly pos: number }
  | { readonly kind: "bool"; readonly value: boolean; readonly pos: number }
  | { readonly kind: "name"; readonly name: string; readonly pos: number }
  | { readonly kind: "unary"; readonly op: UnaryOperator; readonly operand: Node; readonly pos: number }
  | { readonly kind: "binary"; readonly op: BinaryOperator; readonly left: Node; readonly right: Node; readonly pos: number }
  | { readonly kind: "call"; readonly name: string; readonly args: readonly Node[]; readonly pos: number };

export type ValueType = "decimal" | "bool" | "string";
