import type { Model } from "../../domain/catalog/model.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";

export class ListModels {
  constructor(private readonly catalog: CatalogRepository) {}

  /** All models, or those carrying `tag` when one is given. */
  async execute(tenantId: string, tag: string): Promise<readonly Model[]> {
    const models = await this.catalog.listModels(tenantId);
    return tag === "" ? models : models.filter((m) => m.tags.includes(tag));
  }
}
