import { samePlanHeader, validatePlan, type CreatePlanInput, type Plan } from "../../domain/catalog/plan.js";
import { ok, type Result } from "../../domain/result.js";
import { alreadyExists, invalid, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import { withConflictRetry } from "./retry.js";

/** Creates an empty plan (no versions yet); the same call again returns it unchanged. */
export class CreatePlan {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly clock: Clock,
  ) {}

  execute(tenantId: string, input: CreatePlanInput): Promise<Result<Plan, AppError>> {
    return withConflictRetry(async () => {
      const plan = validatePlan(input, this.clock.now());
      if (!plan.ok) return invalid(plan.error);
      const existing = await this.catalog.getPlan(tenantId, plan.value.key);
      if (existing) {
        return samePlanHeader(existing, plan.value)
          ? ok(existing)
          : alreadyExists("plan", existing.key, `plan "${existing.key}" already exists with a different display name or currency`);
      }
      return (await this.catalog.insertPlan(tenantId, plan.value)) === "written" ? ok(plan.value) : "conflict";
    });
  }
}
