import { sameMeter, validateMeter, type DefineMeterInput, type Meter } from "../../domain/catalog/meter.js";
import { ok, type Result } from "../../domain/result.js";
import { alreadyExists, invalid, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import { withConflictRetry } from "./retry.js";

/** Defines a meter once; the same definition again is a no-op, a different one ALREADY_EXISTS. */
export class DefineMeter {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly clock: Clock,
  ) {}

  execute(tenantId: string, input: DefineMeterInput): Promise<Result<Meter, AppError>> {
    return withConflictRetry(async () => {
      const meter = validateMeter(input, this.clock.now());
      if (!meter.ok) return invalid(meter.error);
      const existing = (await this.catalog.listMeters(tenantId)).find((m) => m.key === meter.value.key);
      if (existing) {
        return sameMeter(existing, meter.value)
          ? ok(existing)
          : alreadyExists("meter", existing.key, `meter "${existing.key}" already exists with a different display name or unit; meters cannot be redefined`);
      }
      return (await this.catalog.insertMeter(tenantId, meter.value)) === "written" ? ok(meter.value) : "conflict";
    });
  }
}
