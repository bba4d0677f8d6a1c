import { decideDefineModel, type DefineModelInput, type Model } from "../../domain/catalog/model.js";
import { ok, type Result } from "../../domain/result.js";
import { invalid, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import { withConflictRetry } from "./retry.js";

/**
 * Defines a model, or updates its metadata and reprices it: a different cost formula becomes a
 * new immutable cost version effective from `effective_from`.
 */
export class DefineModel {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly clock: Clock,
  ) {}

  execute(tenantId: string, input: DefineModelInput): Promise<Result<Model, AppError>> {
    return withConflictRetry(async () => {
      const [meters, existing] = await Promise.all([this.catalog.listMeters(tenantId), this.catalog.getModel(tenantId, input.key)]);
      const decision = decideDefineModel(input, existing, new Set(meters.map((m) => m.key)), this.clock.now());
      if (!decision.ok) return invalid(decision.error);
      switch (decision.value.kind) {
        case "unchanged":
          return ok(decision.value.model);
        case "create":
          return (await this.catalog.insertModel(tenantId, decision.value.model)) === "written" ? ok(decision.value.model) : "conflict";
        case "update":
          return (await this.catalog.updateModel(tenantId, decision.value.model, decision.value.costVersion)) === "written"
            ? ok(decision.value.model)
            : "conflict";
      }
    });
  }
}
