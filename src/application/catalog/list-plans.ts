import type { Plan } from "../../domain/catalog/plan.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";

export class ListPlans {
  constructor(private readonly catalog: CatalogRepository) {}

  execute(tenantId: string): Promise<readonly Plan[]> {
    return this.catalog.listPlans(tenantId);
  }
}
