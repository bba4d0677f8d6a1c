import type { Result } from "../../domain/result.js";
import type { AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import { loadCustomerWithPlan, type CustomerView } from "./load-customer.js";

export class GetCustomer {
  constructor(private readonly catalog: CatalogRepository) {}

  async execute(tenantId: string, customerId: string): Promise<Result<CustomerView, AppError>> {
    const loaded = await loadCustomerWithPlan(this.catalog, tenantId, customerId);
    return loaded.ok ? { ok: true, value: { customer: loaded.value.customer, currency: loaded.value.plan.currency } } : loaded;
  }
}
