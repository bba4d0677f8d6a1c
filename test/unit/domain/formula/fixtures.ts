import { compileFormula, type CompiledFormula, type FormulaEnvironment, type FormulaError, type FormulaSource } from "../../../../src/domain/formula/index.js";
import { Decimal } from "../../../../src/domain/money/decimal.js";
import type { Result } from "../../../../src/domain/result.js";

/** Object mothers and helpers shared by the formula specifications. */

export const d = (text: string): Decimal => {
  const parsed = Decimal.parse(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

/** The tenant's meters in every example. */
export const meters: ReadonlySet<string> = new Set(["input_tokens", "output_tokens", "cached_input_tokens", "images", "seconds"]);
export const priceEnv: FormulaEnvironment = { meters, allowCost: true };
export const costEnv: FormulaEnvironment = { meters, allowCost: false };

export const tokenExpression = "input_tokens * rate_in + output_tokens * rate_out + cached_input_tokens * rate_cached";
/** GPT-4o list prices: $2.50 in, $10.00 out, $1.25 cached input per 1M tokens. */
export const gpt4o: FormulaSource = { expression: tokenExpression, rates: { rate_in: "0.0000025", rate_out: "0.00001", rate_cached: "0.00000125" } };
/** Claude Sonnet 4 list prices: $3 in, $15 out, $0.30 cache read per 1M tokens. */
export const sonnet4: FormulaSource = { expression: tokenExpression, rates: { rate_in: "0.000003", rate_out: "0.000015", rate_cached: "0.0000003" } };

export const expression = (text: string, rates: Record<string, string> = {}): FormulaSource => ({ expression: text, rates });

export function compiled(source: FormulaSource, env: FormulaEnvironment = priceEnv): CompiledFormula {
  const result = compileFormula(source, env);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(source.expression)} to compile: ${JSON.stringify(result.error)}`);
  return result.value;
}

export function errorsOf(source: FormulaSource, env: FormulaEnvironment = priceEnv): FormulaError[] {
  const result = compileFormula(source, env);
  if (result.ok) throw new Error(`expected ${JSON.stringify(source.expression)} to be refused`);
  return result.error;
}

export type Usage = { quantities?: Record<string, string>; attributes?: Record<string, string>; cost?: string; period?: Record<string, string> };

const decimals = (record: Record<string, string>) => new Map(Object.entries(record).map(([k, v]) => [k, d(v)]));

/** Evaluates with an empty period map unless one is given: most examples have no earlier usage. */
export function evaluate(source: FormulaSource, usage: Usage = {}): Result<Decimal, FormulaError> {
  return compiled(source).evaluate({
    quantities: decimals(usage.quantities ?? {}),
    attributes: new Map(Object.entries(usage.attributes ?? {})),
    ...(usage.cost === undefined ? {} : { cost: d(usage.cost) }),
    period: decimals(usage.period ?? {}),
  });
}

/** The amount as canonical text, failing the test when there is none. */
export function price(source: FormulaSource, usage: Usage = {}): string {
  const result = evaluate(source, usage);
  if (!result.ok) throw new Error(`expected an amount, got ${JSON.stringify(result.error)}`);
  return result.value.toString();
}
