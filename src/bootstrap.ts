import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "./adapters/postgres/tables/index.js";
import type { CreateTenant } from "./application/tenants/create-tenant.js";

/** Where a fresh embedded server leaves the default tenant's key for its owner. */
export const apiKeyFile = (dataDir: string): string => join(dataDir, "api-key");

/**
 * Embedded Postgres is owned by the server process, so `tollgate tenant create` cannot run beside
 * it. A fresh data dir therefore gets a `default` tenant whose key is printed once and written
 * to `<data dir>/api-key` (mode 0600), enough to make a first call within a minute.
 */
export async function bootstrapDefaultTenant(
  db: Kysely<Database>,
  createTenant: CreateTenant,
  /** Undefined for in-memory databases: the key is only returned, not written. */
  dataDir: string | undefined,
  logger: Logger,
): Promise<{ apiKey: string; tenantId: string } | undefined> {
  const anyTenant = await db.selectFrom("tenants").select("tenant_id").limit(1).executeTakeFirst();
  if (anyTenant) return undefined;
  const created = await createTenant.execute("default");
  if (!created.ok) throw new Error(`could not create the default tenant: ${JSON.stringify(created.error)}`);
  const path = dataDir === undefined ? undefined : apiKeyFile(dataDir);
  if (path) {
    writeFileSync(path, `${created.value.apiKey}\n`, { mode: 0o600 });
    if (existsSync(path)) chmodSync(path, 0o600); // mode applies only on creation; enforce it
  }
  logger.info({ tenant_id: created.value.tenant.id, api_key_file: path ?? "(in memory: not written)" }, "created the default tenant");
  return { apiKey: created.value.apiKey, tenantId: created.value.tenant.id };
}
