import { violation } from "../../domain/catalog/field-error.js";
import { decidePublishPlanVersion, type Plan, type PlanVersionInput } from "../../domain/catalog/plan.js";
import { parseCatalogKey } from "../../domain/catalog/keys.js";
import { ok, type Result } from "../../domain/result.js";
import { invalid, notFound, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import { withConflictRetry } from "./retry.js";

/** Publishes the next immutable version of a plan, after compiling every price formula. */
export class PublishPlanVersion {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly clock: Clock,
  ) {}

  execute(tenantId: string, planKey: string, input: PlanVersionInput | undefined): Promise<Result<Plan, AppError>> {
    return withConflictRetry(async () => {
      const key = parseCatalogKey("plan_key", planKey);
      if (!key.ok) return invalid(key.error);
      if (input === undefined) return invalid(violation("version", "is required"));
      const [plan, meters, models] = await Promise.all([
        this.catalog.getPlan(tenantId, key.value),
        this.catalog.listMeters(tenantId),
        this.catalog.listModels(tenantId),
      ]);
      if (!plan) return notFound("plan", key.value);
      const decision = decidePublishPlanVersion(plan, input, {
        meters: new Set(meters.map((m) => m.key)),
        models: new Map(models.map((m) => [m.key, m.costVersions[m.costVersions.length - 1]?.currency ?? plan.currency])),
        now: this.clock.now(),
      });
      if (!decision.ok) return invalid(decision.error);
      if (decision.value.kind === "unchanged") return ok(plan);
      const { version } = decision.value;
      return (await this.catalog.insertPlanVersion(tenantId, plan.key, version)) === "written"
        ? ok({ ...plan, versions: [...plan.versions, version] })
        : "conflict";
    });
  }
}
