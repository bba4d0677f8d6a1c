import { violation } from "../../domain/catalog/field-error.js";
import { parseTimeField } from "../../domain/catalog/input.js";
import { parseCatalogKey, parseExternalId } from "../../domain/catalog/keys.js";
import type { Decimal } from "../../domain/money/decimal.js";
import { rate } from "../../domain/rating/rate.js";
import { parseAttributes, parseQuantities } from "../../domain/rating/usage-event.js";
import { err, ok, type Result } from "../../domain/result.js";
import { periodUsageOf } from "../../domain/wallet/wallet.js";
import { invalid, notFound, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import type { WalletWriter } from "../wallet/wallet-writer.js";
import type { FormulaCache } from "./formula-cache.js";
import { PricingContext } from "./pricing.js";

export type QuoteInput = {
  readonly customerId: string;
  readonly model: string;
  readonly quantities: Readonly<Record<string, string>>;
  readonly attributes: Readonly<Record<string, string>>;
  readonly occurredAt: Date | undefined;
};

export type Quote = {
  readonly charge: Decimal;
  readonly currency: string;
  readonly cost: Decimal;
  readonly costCurrency: string;
  readonly planKey: string;
  readonly planVersion: number;
  readonly costVersion: number;
};

/**
 * Prices usage exactly as IngestUsage would at this moment (the same terms, and `period.<meter>`
 * as recorded so far), and records nothing.
 */
export class QuotePrice {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly formulas: FormulaCache,
    private readonly writer: WalletWriter,
    private readonly clock: Clock,
  ) {}

  async execute(tenantId: string, input: QuoteInput): Promise<Result<Quote, AppError>> {
    const customerId = parseExternalId("customer_id", input.customerId);
    if (!customerId.ok) return invalid(customerId.error);
    const modelKey = parseCatalogKey("model", input.model);
    if (!modelKey.ok) return invalid(modelKey.error);
    const now = this.clock.now();
    const at = parseTimeField("occurred_at", input.occurredAt, now);
    if (!at.ok) return invalid(at.error);
    const ctx = await PricingContext.load(this.catalog, this.formulas, tenantId);
    const quantities = parseQuantities("quantities", input.quantities, ctx.meters);
    if (!quantities.ok) return invalid(quantities.error);
    const attributes = parseAttributes("attributes", input.attributes);
    if (!attributes.ok) return invalid(attributes.error);
    const customer = await ctx.customer(customerId.value);
    if (!customer) return notFound("customer", customerId.value);
    const model = ctx.model(modelKey.value);
    if (!model) return notFound("model", modelKey.value);
    const terms = ctx.termsAt(customer, model, at.value);
    if (!terms.ok) {
      if (terms.error.reason === "MODEL_NOT_IN_PLAN" || terms.error.reason === "NO_SUBSCRIPTION" || terms.error.reason === "NO_PLAN_VERSION" || terms.error.reason === "NO_COST_VERSION") {
        return err({ kind: "FAILED_PRECONDITION", message: terms.error.message });
      }
      return invalid(violation("quantities", terms.error.message));
    }
    const wallet = await this.writer.current(ctx.walletOf(customer, now).key);
    const rated = rate({ quantities: quantities.value, attributes: attributes.value }, terms.value, periodUsageOf(wallet, terms.value.period.start));
    if (!rated.ok) return err({ kind: "FAILED_PRECONDITION", message: rated.error.message });
    return ok({
      charge: rated.value.charge,
      currency: terms.value.currency,
      cost: rated.value.cost,
      costCurrency: terms.value.costVersion.currency,
      planKey: terms.value.planKey,
      planVersion: terms.value.planVersion.version,
      costVersion: terms.value.costVersion.version,
    });
  }
}
