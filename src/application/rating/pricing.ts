import type { Customer } from "../../domain/catalog/customer.js";
import type { Model } from "../../domain/catalog/model.js";
import type { Plan } from "../../domain/catalog/plan.js";
import { ok, type Result } from "../../domain/result.js";
import { termsSpanAt, type FormulaCompiler, type RatingRejection, type RatingTerms } from "../../domain/rating/terms.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import { walletTermsOf, type CustomerWallet } from "../wallet/wallet-access.js";
import type { FormulaCache } from "./formula-cache.js";

type KnownTerms = { readonly model: Model; readonly terms: Result<RatingTerms, RatingRejection>; readonly from: number; readonly until: number };

/** Terms kept per customer for one call: a few models over a few periods. */
const knownTermsPerCustomerMax = 16;

/**
 * One tenant's catalog as one call needs it: meters, models and plans loaded once (from the
 * catalog cache), customers as they are asked for.
 */
export class PricingContext {
  private readonly customers = new Map<string, Promise<Customer | undefined>>();
  /**
   * Terms already found, per customer (the objects `customer` hands out) and model, with the
   * stretch of time they hold over: the events of a call mostly share a few, and finding them
   * again for each event was a good part of pricing it.
   */
  private readonly spans = new Map<Customer, KnownTerms[]>();
  private readonly compile: FormulaCompiler = (source, kind) => this.formulas.compile(source, kind, this.meters);

  private constructor(
    private readonly catalog: CatalogRepository,
    private readonly formulas: FormulaCache,
    readonly tenantId: string,
    readonly meters: ReadonlySet<string>,
    private readonly models: ReadonlyMap<string, Model>,
    private readonly plans: ReadonlyMap<string, Plan>,
  ) {}

  static async load(catalog: CatalogRepository, formulas: FormulaCache, tenantId: string): Promise<PricingContext> {
    const [meters, models, plans] = await Promise.all([catalog.listMeters(tenantId), catalog.listModels(tenantId), catalog.listPlans(tenantId)]);
    return new PricingContext(
      catalog,
      formulas,
      tenantId,
      new Set(meters.map((m) => m.key)),
      new Map(models.map((m) => [m.key, m])),
      new Map(plans.map((p) => [p.key, p])),
    );
  }

  customer(customerId: string): Promise<Customer | undefined> {
    let found = this.customers.get(customerId);
    if (!found) {
      found = this.catalog.getCustomer(this.tenantId, customerId);
      this.customers.set(customerId, found);
    }
    return found;
  }

  model(key: string): Model | undefined {
    return this.models.get(key);
  }

  plan(key: string): Plan | undefined {
    return this.plans.get(key);
  }

  /** The terms pricing `model` for `customer` at `at`. */
  termsAt(customer: Customer, model: Model, at: Date): Result<RatingTerms, RatingRejection> {
    const t = at.getTime();
    let known = this.spans.get(customer);
    if (known) for (const k of known) if (k.model === model && k.from <= t && t < k.until) return k.terms;
    const found = termsSpanAt(customer, this.plans, model, at, this.compile);
    if (!found.ok) return found;
    const terms = ok(found.value.terms);
    if (!known) this.spans.set(customer, (known = []));
    // Events strewn over many periods (a backfill) would make the list a long walk: keep the latest few.
    if (known.length >= knownTermsPerCustomerMax) known.shift();
    known.push({ model, terms, from: found.value.from, until: found.value.until });
    return terms;
  }

  /** The customer's wallet terms at `now` (currency, overage limit, allowance): see walletTermsOf. */
  walletOf(customer: Customer, now: Date): CustomerWallet {
    return walletTermsOf(this.tenantId, customer, (key) => this.plans.get(key), now);
  }
}
