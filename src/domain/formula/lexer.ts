import { Decimal } from "../money/decimal.js";
import { err, ok, type Result } from "../result.js";
import { expressionError, type FormulaError } from "./errors.js";

export type Token =
  | { readonly kind: "number"; readonly value: Decimal; readonly text: string; readonly offset: number }
  | { readonly kind: "string"; readonly value: string; readonly offset: number }
  | { readonly kind: "name"; readonly value: string; readonly offset: number }
  | { readonly kind: "op"; readonly value: Operator; readonly offset: number }
  | { readonly kind: "end"; readonly offset: number };

export type Operator = "+" | "-" | "*" | "/" | "(" | ")" | "," | "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||" | "!";

/** Two-character operators first so `<=` is not read as `<` then `=`. */
const operators: readonly Operator[] = ["==", "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "(", ")", ",", "<", ">", "!"];
const namePattern = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?/y;
const numberPattern = /\d+(?:\.\d+)?/y;

/** Splits an expression into tokens; the first unreadable character is a positioned error. */
export function tokenize(source: string): Result<Token[], FormulaError> {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i] ?? "";
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
      continue;
    }
    numberPattern.lastIndex = i;
    const number = numberPattern.exec(source);
    if (number) {
      const text = number[0];
      if (/[A-Za-z_.]/.test(source[i + text.length] ?? "")) {
        return err(expressionError("SYNTAX", `malformed number "${text}${source[i + text.length]}"`, i));
      }
      const value = Decimal.parse(text);
      if (!value.ok) return err(expressionError("SYNTAX", `number ${value.error}`, i));
      tokens.push({ kind: "number", value: value.value, text, offset: i });
      i += text.length;
      continue;
    }
    namePattern.lastIndex = i;
    const name = namePattern.exec(source);
    if (name) {
      tokens.push({ kind: "name", value: name[0], offset: i });
      i += name[0].length;
      if (source[i] === ".") return err(expressionError("SYNTAX", `names have at most one "." (like attr.region), found another`, i));
      continue;
    }
    if (ch === '"' || ch === "'") {
      const close = source.indexOf(ch, i + 1);
      if (close < 0) return err(expressionError("SYNTAX", `string opened here is never closed with ${ch}`, i));
      tokens.push({ kind: "string", value: source.slice(i + 1, close), offset: i });
      i = close + 1;
      continue;
    }
    const op = operators.find((o) => source.startsWith(o, i));
    if (op) {
      tokens.push({ kind: "op", value: op, offset: i });
      i += op.length;
      continue;
    }
    const hint = ch === "=" ? ' (use "==" to compare)' : ch === "&" ? ' (use "&&")' : ch === "|" ? ' (use "||")' : "";
    return err(expressionError("SYNTAX", `unexpected character "${ch}"${hint}`, i));
  }
  tokens.push({ kind: "end", offset: source.length });
  return ok(tokens);
}
