import type { CustomerStatus } from "../../domain/catalog/customer.js";
import { violation } from "../../domain/catalog/field-error.js";
import { ok, type Result } from "../../domain/result.js";
import { invalid, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import { loadCustomerWithPlan, type CustomerView } from "./load-customer.js";

/** Suspends or reactivates a customer; a suspended customer is denied every authorization. */
export class SetCustomerStatus {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly clock: Clock,
  ) {}

  async execute(tenantId: string, customerId: string, status: CustomerStatus | undefined): Promise<Result<CustomerView, AppError>> {
    const loaded = await loadCustomerWithPlan(this.catalog, tenantId, customerId);
    if (!loaded.ok) return loaded;
    if (status === undefined) return invalid(violation("status", "must be CUSTOMER_STATUS_ACTIVE or CUSTOMER_STATUS_SUSPENDED"));
    const { customer, plan } = loaded.value;
    if (customer.status === status) return ok({ customer, currency: plan.currency });
    const now = this.clock.now();
    await this.catalog.updateCustomerStatus(tenantId, customer.id, status, now);
    return ok({ customer: { ...customer, status, updatedAt: now }, currency: plan.currency });
  }
}
