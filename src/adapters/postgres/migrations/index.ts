import type { Migration, MigrationProvider } from "kysely";
import * as tenantsAndCatalog from "./2026-11-22T00-00_tenants-and-catalog.js";
import * as wallets from "./2026-11-22T01-00_wallets.js";
import * as usageLog from "./2026-12-01T00-00_usage-log.js";
import * as reservations from "./2026-12-01T01-00_reservations.js";

/**
 * Migrations are listed here rather than discovered on disk so they work the same from
 * TypeScript sources (tests) and compiled output (the server). Names sort in apply order.
 */
const migrations: Record<string, Migration> = {
  "2026-11-22T00-00_tenants-and-catalog": tenantsAndCatalog,
  "2026-11-22T01-00_wallets": wallets,
  "2026-12-01T00-00_usage-log": usageLog,
  "2026-12-01T01-00_reservations": reservations,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
