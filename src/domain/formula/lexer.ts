import { Decimal } from "../money/decimal.js";
import { err, ok, type Result } from "../result.js";
import { expressionError, type FormulaError } from "./errors.js";

export type Operator = "+" | "-" | "*" | "/" | "(" | ")" | "," | "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||" | "!";

/** A token and the 0-based offset of its first character. The list always ends with `end`. */
export type Token =
  | { readonly kind: "number"; readonly value: Decimal; readonly text: string; readonly offset: number }
  | { readonly kind: "string"; readonly value: string; readonly offset: number }
  | { readonly kind: "name"; readonly value: string; readonly offset: number }
  | { readonly kind: "op"; readonly value: Operator; readonly offset: number }
  | { readonly kind: "end"; readonly offset: number };

/** Two-character operators first, so `<=` is not read as `<` then `=`. */
const operators: readonly Operator[] = ["==", "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "(", ")", ",", "<", ">", "!"];
const identifierPattern = /[A-Za-z_][A-Za-z0-9_]*/y;
const numberPattern = /[0-9]+(?:\.[0-9]+)?/y;
const whitespace = new Set([" ", "\t", "\n", "\r"]);
const hints: ReadonlyMap<string, string> = new Map([
  ["=", ' (use "==" to compare)'],
  ["&", ' (use "&&")'],
  ["|", ' (use "||")'],
]);

/** The identifier starting exactly at `offset`, if there is one. */
function identifierAt(source: string, offset: number): string | undefined {
  identifierPattern.lastIndex = offset;
  return identifierPattern.exec(source)?.[0];
}

/** Describes a character for a message, whole even when it lies outside the BMP. */
const characterAt = (source: string, offset: number): string => String.fromCodePoint(source.codePointAt(offset) ?? 0);

/**
 * Splits an expression into tokens. Numbers are read as exact decimals here, so a literal with
 * too many fractional digits is refused at its own position. Strings have no escapes: a string
 * cannot contain its own quote character, and either quote may be used. The first unreadable
 * input is returned as a positioned error.
 */
export function tokenize(source: string): Result<Token[], FormulaError> {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i] ?? "";
    if (whitespace.has(ch)) {
      i++;
      continue;
    }
    numberPattern.lastIndex = i;
    const number = numberPattern.exec(source)?.[0];
    if (number !== undefined) {
      const after = source[i + number.length] ?? "";
      if (/[A-Za-z0-9_.]/.test(after)) return err(expressionError("SYNTAX", `malformed number "${number}${after}"`, i));
      const value = Decimal.parse(number);
      if (!value.ok) return err(expressionError("SYNTAX", `number ${value.error}`, i));
      tokens.push({ kind: "number", value: value.value, text: number, offset: i });
      i += number.length;
      continue;
    }
    const name = identifierAt(source, i);
    if (name !== undefined) {
      let end = i + name.length;
      let full = name;
      if (source[end] === ".") {
        const member = identifierAt(source, end + 1);
        if (member === undefined) return err(expressionError("SYNTAX", `expected a name after "${name}." (like attr.region)`, end + 1));
        full = `${name}.${member}`;
        end += 1 + member.length;
        if (source[end] === ".") return err(expressionError("SYNTAX", `names have at most one "." (like attr.region), found another`, end));
      }
      tokens.push({ kind: "name", value: full, offset: i });
      i = end;
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
    if (op !== undefined) {
      tokens.push({ kind: "op", value: op, offset: i });
      i += op.length;
      continue;
    }
    const unexpected = characterAt(source, i);
    return err(expressionError("SYNTAX", `unexpected character "${unexpected}"${hints.get(unexpected) ?? ""}`, i));
  }
  tokens.push({ kind: "end", offset: source.length });
  return ok(tokens);
}
