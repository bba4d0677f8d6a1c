import { token } from "./token.js";

export type Tenant = { readonly id: string; readonly name: string; readonly createdAt: Date };

/** What is stored about an API key: never the key itself, only a hash of its secret half. */
export type StoredApiKey = {
  readonly tenantId: string;
  readonly keyId: string;
  readonly secretHash: Uint8Array;
  readonly scopes: readonly string[];
  readonly revoked: boolean;
};

export interface TenantRepository {
  /** Creates the tenant and its first key in one transaction; "conflict" if the name is taken. */
  insertTenant(tenant: Tenant, key: StoredApiKey, now: Date): Promise<"written" | "conflict">;
  findApiKey(keyId: string): Promise<StoredApiKey | undefined>;
  findTenantByName(name: string): Promise<Tenant | undefined>;
}
export const TenantRepository = token<TenantRepository>("TenantRepository");

/** Hashing of key secrets; comparison must take the same time whatever the input. */
export interface SecretHasher {
  hash(secret: string): Uint8Array;
  equal(a: Uint8Array, b: Uint8Array): boolean;
}
export const SecretHasher = token<SecretHasher>("SecretHasher");
