import type { Meter } from "../../domain/catalog/meter.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";

export class ListMeters {
  constructor(private readonly catalog: CatalogRepository) {}

  execute(tenantId: string): Promise<readonly Meter[]> {
    return this.catalog.listMeters(tenantId);
  }
}
