import { assert } from "../../domain/assert.js";
import { compileFormula, type CompiledFormula, type FormulaSource } from "../../domain/formula/index.js";

/** Compiled formulas kept; a tenant's catalog rarely has more than a few hundred. */
const cachedMax = 5000;

/**
 * Compiles each stored formula once. Formulas were checked when published and meters are never
 * removed, so a stored formula always compiles; failing to is a bug. The meter set only decides
 * which names are valid, so compiling against every meter key the formula mentions suffices.
 */
export class FormulaCache {
  private readonly compiled = new Map<string, CompiledFormula>();
  /** By the source object itself: the catalog cache hands out the same objects until a change. */
  private readonly bySource = new WeakMap<FormulaSource, CompiledFormula>();

  compile(source: FormulaSource, kind: "price" | "cost", meters: ReadonlySet<string>): CompiledFormula {
    const same = this.bySource.get(source);
    if (same) return same;
    const found = this.byText(source, kind, meters);
    this.bySource.set(source, found);
    return found;
  }

  private byText(source: FormulaSource, kind: "price" | "cost", meters: ReadonlySet<string>): CompiledFormula {
    const id = `${kind}\u0000${source.expression}\u0000${JSON.stringify(Object.entries(source.rates).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
    const hit = this.compiled.get(id);
    if (hit) return hit;
    const result = compileFormula(source, { meters, allowCost: kind === "price" });
    assert(result.ok, `a stored ${kind} formula no longer compiles: ${result.ok ? "" : result.error.map((e) => e.message).join("; ")}`);
    if (this.compiled.size >= cachedMax) this.compiled.clear();
    this.compiled.set(id, result.value);
    return result.value;
  }
}
