import { compileFormula, type CompiledFormula, type FormulaSource } from "../formula/index.js";
import { limits } from "../limits.js";
import { err, ok, type Result } from "../result.js";
import { violation, type FieldViolation } from "./field-error.js";
import { formulaViolation } from "./formula-violation.js";
import { parseCurrencyField, parseTimeField } from "./input.js";
import { parseCatalogKey, parseDisplayText } from "./keys.js";
import { inForceSpanAt, type InForceSpan } from "./timeline.js";

/**
 * What the vendor charges the tenant for a model's usage, from `effectiveFrom` until the next
 * version starts. Providers reprice; old versions stay so late events are costed as they were.
 */
export type CostVersion = {
  readonly version: number;
  readonly effectiveFrom: Date;
  readonly cost: FormulaSource;
  readonly currency: string;
  readonly createdAt: Date;
};

/** A model a tenant resells, with its vendor cost history (ascending by version and start). */
export type Model = {
  readonly key: string;
  readonly vendor: string;
  readonly displayName: string;
  readonly tags: readonly string[];
  readonly costVersions: readonly CostVersion[];
  readonly createdAt: Date;
};

export type DefineModelInput = {
  readonly key: string;
  readonly vendor: string;
  readonly displayName: string;
  readonly tags: readonly string[];
  readonly cost: FormulaSource | undefined;
  readonly currency: string;
  readonly effectiveFrom: Date | undefined;
};

/** Outcome of DefineModel against the model's current state. */
export type DefineModelDecision =
  | { readonly kind: "create"; readonly model: Model }
  /** Metadata replaced by the call's; `costVersion` set when the call reprices the model. */
  | { readonly kind: "update"; readonly model: Model; readonly costVersion: CostVersion | undefined }
  | { readonly kind: "unchanged"; readonly model: Model };

const tagPattern = /^[a-z0-9][a-z0-9._:-]*$/;

function validateTags(tags: readonly string[]): Result<string[], FieldViolation> {
  if (tags.length > limits.tagsMax) return err(violation("tags", `must have at most ${limits.tagsMax} tags, got ${tags.length}`));
  for (const [i, tag] of tags.entries()) {
    if (tag.length === 0 || tag.length > limits.tagLengthMax || !tagPattern.test(tag)) {
      return err(violation(`tags[${i}]`, `must be 1-${limits.tagLengthMax} lowercase letters, digits or . _ : -, got "${tag}"`));
    }
  }
  return ok([...new Set(tags)]);
}

/** Compiles a vendor cost formula: it may read meters and rates, never `cost` (it defines it). */
export function compileCostFormula(field: string, cost: FormulaSource, meters: ReadonlySet<string>): Result<CompiledFormula, FieldViolation> {
  const compiled = compileFormula(cost, { meters, allowCost: false });
  return compiled.ok ? compiled : err(formulaViolation(field, compiled.error));
}

/**
 * Validates DefineModel and decides what it means given the existing model (if any): a new
 * model, a new cost version (vendor reprice), or a retry of what is already there.
 */
export function decideDefineModel(
  input: DefineModelInput,
  existing: Model | undefined,
  meters: ReadonlySet<string>,
  now: Date,
): Result<DefineModelDecision, FieldViolation> {
  const key = parseCatalogKey("key", input.key);
  if (!key.ok) return key;
  const vendor = parseDisplayText("vendor", input.vendor, limits.displayNameLengthMax);
  if (!vendor.ok) return vendor;
  const displayName = parseDisplayText("display_name", input.displayName, limits.displayNameLengthMax);
  if (!displayName.ok) return displayName;
  const tags = validateTags(input.tags);
  if (!tags.ok) return tags;
  if (input.cost === undefined || input.cost.expression.trim() === "") {
    return err(violation("cost.expression", "is required: the vendor's price for this model, e.g. input_tokens * rate_in"));
  }
  const compiled = compileCostFormula("cost", input.cost, meters);
  if (!compiled.ok) return compiled;
  const currency = parseCurrencyField("currency", input.currency);
  if (!currency.ok) return currency;
  const effectiveFrom = parseTimeField("effective_from", input.effectiveFrom, now);
  if (!effectiveFrom.ok) return effectiveFrom;

  const cost: FormulaSource = { expression: input.cost.expression, rates: { ...input.cost.rates } };
  if (existing === undefined) {
    const costVersion: CostVersion = { version: 1, effectiveFrom: effectiveFrom.value, cost, currency: currency.value, createdAt: now };
    return ok({
      kind: "create",
      model: {
        key: key.value,
        vendor: vendor.value,
        displayName: displayName.value || key.value,
        tags: tags.value,
        costVersions: [costVersion],
        createdAt: now,
      },
    });
  }

  const latest = existing.costVersions[existing.costVersions.length - 1];
  const metadataSame =
    existing.vendor === vendor.value &&
    existing.displayName === (displayName.value || key.value) &&
    existing.tags.length === tags.value.length &&
    existing.tags.every((t, i) => t === tags.value[i]);
  const withMetadata: Model = { ...existing, vendor: vendor.value, displayName: displayName.value || key.value, tags: tags.value };
  // The same terms as a version that already exists (a retry, or a metadata-only update) add
  // no version: with no effective_from, compare to the latest; with one, to the version it names.
  const sameTerms = (v: CostVersion) => v.currency === currency.value && sameFormula(v.cost, cost);
  const matching =
    input.effectiveFrom === undefined
      ? latest && sameTerms(latest)
      : existing.costVersions.some((v) => sameTerms(v) && v.effectiveFrom.getTime() === effectiveFrom.value.getTime());
  if (matching) return ok(metadataSame ? { kind: "unchanged", model: existing } : { kind: "update", model: withMetadata, costVersion: undefined });
  if (latest && effectiveFrom.value.getTime() <= latest.effectiveFrom.getTime()) {
    return err(
      violation(
        "effective_from",
        `must be after the latest cost version's start (${latest.effectiveFrom.toISOString()}): cost versions are immutable, a reprice takes effect later`,
      ),
    );
  }
  if (latest && latest.currency !== currency.value) {
    return err(violation("currency", `must stay ${latest.currency} (the model's cost currency), got "${currency.value}"`));
  }
  const costVersion: CostVersion = {
    version: (latest?.version ?? 0) + 1,
    effectiveFrom: effectiveFrom.value,
    cost,
    currency: currency.value,
    createdAt: now,
  };
  return ok({ kind: "update", costVersion, model: { ...withMetadata, costVersions: [...existing.costVersions, costVersion] } });
}

export function sameFormula(a: FormulaSource, b: FormulaSource): boolean {
  const ak = Object.keys(a.rates).sort();
  const bk = Object.keys(b.rates).sort();
  return a.expression === b.expression && ak.length === bk.length && ak.every((k, i) => k === bk[i] && a.rates[k] === b.rates[k]);
}

/** The cost version in force at `at`, if the model existed then. */
export function costVersionAt(model: Model, at: Date): CostVersion | undefined {
  return costVersionSpanAt(model, at)?.entry;
}

/** The cost version in force at `at` and the stretch of time it is in force (see inForceSpanAt). */
export function costVersionSpanAt(model: Model, at: Date): InForceSpan<CostVersion> | undefined {
  return inForceSpanAt(model.costVersions, (v) => v.effectiveFrom, at);
}
