import type { Insertable, Selectable } from "kysely";

export interface TenantsTable {
  tenant_id: string;
  name: string;
  created_at: Date;
}

export interface ApiKeysTable {
  tenant_id: string;
  /** Public half of the key, used to find the row; the secret half is only stored hashed. */
  key_id: string;
  secret_sha256: Uint8Array;
  scopes: string[];
  created_at: Date;
  revoked_at: Date | null;
}

export type TenantRow = Selectable<TenantsTable>;
export type NewApiKeyRow = Insertable<ApiKeysTable>;
