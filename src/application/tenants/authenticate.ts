import type { Result } from "../../domain/result.js";
import { err, ok } from "../../domain/result.js";
import type { AppError } from "../errors.js";
import type { SecretHasher, StoredApiKey, TenantRepository } from "../ports/tenant-repository.js";
import { parseApiKey } from "./api-key.js";

export type Principal = { readonly tenantId: string; readonly keyId: string; readonly scopes: readonly string[] };

const unauthenticated = (message: string) => err<AppError>({ kind: "UNAUTHENTICATED", message });

/**
 * Resolves `authorization: Bearer <key>` to the tenant that owns the key. Verified keys are
 * cached for `cacheMs` so the hot path does not hit the database per call; the secret is always
 * re-hashed and compared in constant time, so the cache never accepts a wrong secret.
 */
export class Authenticate {
  private readonly cache = new Map<string, { key: StoredApiKey | undefined; loadedAtMs: number }>();

  constructor(
    private readonly tenants: TenantRepository,
    private readonly hasher: SecretHasher,
    private readonly cacheMs: number,
    private readonly nowMs: () => number,
  ) {}

  async execute(authorization: string | undefined): Promise<Result<Principal, AppError>> {
    if (!authorization) return unauthenticated("missing credentials: send the header 'authorization: Bearer <api key>'");
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match?.[1]) return unauthenticated("the authorization header must be 'Bearer <api key>'");
    const parsed = parseApiKey(match[1]);
    if (!parsed) return unauthenticated("the API key is malformed");
    const key = await this.lookup(parsed.keyId);
    const presented = this.hasher.hash(parsed.secret);
    // Compare even when the key is unknown so both paths cost the same.
    const matches = this.hasher.equal(presented, key?.secretHash ?? new Uint8Array(presented.length));
    if (!key || !matches || key.revoked) return unauthenticated("the API key is not valid");
    return ok({ tenantId: key.tenantId, keyId: key.keyId, scopes: key.scopes });
  }

  private async lookup(keyId: string): Promise<StoredApiKey | undefined> {
    const now = this.nowMs();
    const cached = this.cache.get(keyId);
    if (cached && now - cached.loadedAtMs < this.cacheMs) return cached.key;
    const key = await this.tenants.findApiKey(keyId);
    if (this.cache.size > 10_000) this.cache.clear(); // bounded: unknown ids cannot grow it forever
    this.cache.set(keyId, { key, loadedAtMs: now });
    return key;
  }
}
