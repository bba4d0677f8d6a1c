import type { Customer } from "../../domain/catalog/customer.js";
import { currentSubscription } from "../../domain/catalog/customer.js";
import type { Plan } from "../../domain/catalog/plan.js";
import { parseExternalId } from "../../domain/catalog/keys.js";
import { ok, type Result } from "../../domain/result.js";
import { invalid, notFound, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";

/** A customer with the currency of its plans (which is its wallet's currency: plans never switch it). */
export type CustomerView = { readonly customer: Customer; readonly currency: string };

/** Loads a customer by the caller's id, with the plan of its current subscription. */
export async function loadCustomerWithPlan(
  catalog: CatalogRepository,
  tenantId: string,
  customerId: string,
): Promise<Result<{ customer: Customer; plan: Plan }, AppError>> {
  const id = parseExternalId("customer_id", customerId);
  if (!id.ok) return invalid(id.error);
  const customer = await catalog.getCustomer(tenantId, id.value);
  if (!customer) return notFound("customer", id.value);
  const plan = await catalog.getPlan(tenantId, currentSubscription(customer).planKey);
  // Plans are never deleted, so a customer's plan always exists.
  if (!plan) return notFound("plan", currentSubscription(customer).planKey);
  return ok({ customer, plan });
}
