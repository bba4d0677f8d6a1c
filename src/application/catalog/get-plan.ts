import type { Plan } from "../../domain/catalog/plan.js";
import { parseCatalogKey } from "../../domain/catalog/keys.js";
import { ok, type Result } from "../../domain/result.js";
import { invalid, notFound, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";

export class GetPlan {
  constructor(private readonly catalog: CatalogRepository) {}

  async execute(tenantId: string, planKey: string): Promise<Result<Plan, AppError>> {
    const key = parseCatalogKey("plan_key", planKey);
    if (!key.ok) return invalid(key.error);
    const plan = await this.catalog.getPlan(tenantId, key.value);
    return plan ? ok(plan) : notFound("plan", key.value);
  }
}
