import { validateLimits, type CustomerLimitsInput } from "../../domain/catalog/customer.js";
import { violation } from "../../domain/catalog/field-error.js";
import { ok, type Result } from "../../domain/result.js";
import { invalid, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import { loadCustomerWithPlan, type CustomerView } from "./load-customer.js";

/** Replaces a customer's limits as a whole (an unset field means no limit). */
export class UpdateCustomerLimits {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly clock: Clock,
  ) {}

  async execute(tenantId: string, customerId: string, input: CustomerLimitsInput | undefined): Promise<Result<CustomerView, AppError>> {
    const loaded = await loadCustomerWithPlan(this.catalog, tenantId, customerId);
    if (!loaded.ok) return loaded;
    if (input === undefined) return invalid(violation("limits", "is required (send an empty object to remove every limit)"));
    const { customer, plan } = loaded.value;
    const limits = validateLimits("limits", input, plan.currency);
    if (!limits.ok) return invalid(limits.error);
    const now = this.clock.now();
    await this.catalog.updateCustomerLimits(tenantId, customer.id, limits.value, now);
    return ok({ customer: { ...customer, limits: limits.value, updatedAt: now }, currency: plan.currency });
  }
}
