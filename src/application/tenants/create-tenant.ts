import { limits } from "../../domain/limits.js";
import { violation } from "../../domain/catalog/field-error.js";
import { parseDisplayText } from "../../domain/catalog/keys.js";
import { ok, type Result } from "../../domain/result.js";
import { alreadyExists, invalid, type AppError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { Ids } from "../ports/ids.js";
import type { SecretHasher, Tenant, TenantRepository } from "../ports/tenant-repository.js";
import { allScopes, formatApiKey } from "./api-key.js";

/** A new tenant and its first API key; the key is returned here and never again. */
export type CreatedTenant = { readonly tenant: Tenant; readonly apiKey: string };

export class CreateTenant {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly hasher: SecretHasher,
    private readonly ids: Ids,
    private readonly clock: Clock,
  ) {}

  async execute(name: string): Promise<Result<CreatedTenant, AppError>> {
    if (name.trim() === "") return invalid(violation("name", "is required"));
    const checked = parseDisplayText("name", name, limits.displayNameLengthMax);
    if (!checked.ok) return invalid(checked.error);
    if (await this.tenants.findTenantByName(name)) return alreadyExists("tenant", name, `a tenant named "${name}" already exists`);
    const now = this.clock.now();
    const tenant: Tenant = { id: this.ids.newId("ten"), name, createdAt: now };
    const keyId = this.ids.newId("key");
    const secret = this.ids.newSecret(32);
    const written = await this.tenants.insertTenant(tenant, { tenantId: tenant.id, keyId, secretHash: this.hasher.hash(secret), scopes: allScopes, revoked: false }, now);
    if (written === "conflict") return alreadyExists("tenant", name, `a tenant named "${name}" already exists`);
    return ok({ tenant, apiKey: formatApiKey(keyId, secret) });
  }
}
