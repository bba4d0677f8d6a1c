import type { Kysely } from "kysely";
import type { StoredApiKey, Tenant, TenantRepository } from "../../application/ports/tenant-repository.js";
import { isUniqueViolation } from "./pg-errors.js";
import type { Database } from "./tables/index.js";

export class PostgresTenantRepository implements TenantRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertTenant(tenant: Tenant, key: StoredApiKey, now: Date): Promise<"written" | "conflict"> {
    try {
      await this.insert(tenant, key, now);
      return "written";
    } catch (error) {
      if (isUniqueViolation(error)) return "conflict";
      throw error;
    }
  }

  private async insert(tenant: Tenant, key: StoredApiKey, now: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto("tenants").values({ tenant_id: tenant.id, name: tenant.name, created_at: tenant.createdAt }).execute();
      await trx
        .insertInto("api_keys")
        .values({
          tenant_id: key.tenantId,
          key_id: key.keyId,
          secret_sha256: key.secretHash,
          scopes: [...key.scopes],
          created_at: now,
          revoked_at: null,
        })
        .execute();
    });
  }

  async findApiKey(keyId: string): Promise<StoredApiKey | undefined> {
    const row = await this.db.selectFrom("api_keys").selectAll().where("key_id", "=", keyId).executeTakeFirst();
    return row
      ? { tenantId: row.tenant_id, keyId: row.key_id, secretHash: new Uint8Array(row.secret_sha256), scopes: row.scopes, revoked: row.revoked_at !== null }
      : undefined;
  }

  async findTenantByName(name: string): Promise<Tenant | undefined> {
    const row = await this.db.selectFrom("tenants").selectAll().where("name", "=", name).executeTakeFirst();
    return row ? { id: row.tenant_id, name: row.name, createdAt: row.created_at } : undefined;
  }
}
