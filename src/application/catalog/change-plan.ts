import { decideChangePlan } from "../../domain/catalog/customer.js";
import { parseCatalogKey } from "../../domain/catalog/keys.js";
import { ok, type Result } from "../../domain/result.js";
import { failedPrecondition, invalid, notFound, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import { loadCustomerWithPlan, type CustomerView } from "./load-customer.js";
import { withConflictRetry } from "./retry.js";

/** Moves a customer to another plan from a point in time, keeping the earlier plan for earlier usage. */
export class ChangePlan {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly clock: Clock,
  ) {}

  execute(tenantId: string, customerId: string, planKey: string, effectiveAt: Date | undefined): Promise<Result<CustomerView, AppError>> {
    return withConflictRetry(async () => {
      const loaded = await loadCustomerWithPlan(this.catalog, tenantId, customerId);
      if (!loaded.ok) return loaded;
      const key = parseCatalogKey("plan_key", planKey);
      if (!key.ok) return invalid(key.error);
      const target = await this.catalog.getPlan(tenantId, key.value);
      if (!target) return notFound("plan", key.value);
      const now = this.clock.now();
      const { customer, plan } = loaded.value;
      const decision = decideChangePlan(customer, { planKey: target.key, currency: target.currency }, plan.currency, effectiveAt, now);
      if (!decision.ok) {
        return decision.error.kind === "invalid" ? invalid(decision.error.violation) : failedPrecondition(decision.error.message);
      }
      if (decision.value.kind === "unchanged") return ok({ customer, currency: plan.currency });
      const { subscription } = decision.value;
      const seq = customer.subscriptions.length + 1;
      return (await this.catalog.appendSubscription(tenantId, customer.id, seq, subscription, now)) === "written"
        ? ok({ customer: { ...customer, subscriptions: [...customer.subscriptions, subscription], updatedAt: now }, currency: plan.currency })
        : "conflict";
    });
  }
}
