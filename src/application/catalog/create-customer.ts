import { isCreateRetry, newCustomer, validateCustomerIdentity, type CreateCustomerInput } from "../../domain/catalog/customer.js";
import { ok, type Result } from "../../domain/result.js";
import { alreadyExists, invalid, notFound, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import type { CustomerView } from "./load-customer.js";
import { withConflictRetry } from "./retry.js";

/** Creates a customer subscribed to a plan; repeating the same call returns the same customer. */
export class CreateCustomer {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly clock: Clock,
  ) {}

  execute(tenantId: string, input: CreateCustomerInput): Promise<Result<CustomerView, AppError>> {
    return withConflictRetry(async () => {
      const identity = validateCustomerIdentity(input);
      if (!identity.ok) return invalid(identity.error);
      const plan = await this.catalog.getPlan(tenantId, input.planKey);
      if (!plan) return notFound("plan", input.planKey);
      const customer = newCustomer(input, plan.currency, this.clock.now());
      if (!customer.ok) return invalid(customer.error);
      const existing = await this.catalog.getCustomer(tenantId, input.customerId);
      if (existing) {
        return isCreateRetry(existing, customer.value, input.startedAt !== undefined)
          ? ok({ customer: existing, currency: plan.currency })
          : alreadyExists("customer", existing.id, `customer "${existing.id}" already exists with different details; use ChangePlan, UpdateCustomerLimits or SetCustomerStatus to change it`);
      }
      return (await this.catalog.insertCustomer(tenantId, customer.value)) === "written" ? ok({ customer: customer.value, currency: plan.currency }) : "conflict";
    });
  }
}
