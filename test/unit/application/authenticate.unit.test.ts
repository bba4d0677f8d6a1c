import { describe, expect, it } from "@jest/globals";
import type { StoredApiKey, Tenant, TenantRepository } from "../../../src/application/ports/tenant-repository.js";
import { formatApiKey } from "../../../src/application/tenants/api-key.js";
import { Authenticate } from "../../../src/application/tenants/authenticate.js";
import { CreateTenant } from "../../../src/application/tenants/create-tenant.js";
import { Sha256SecretHasher } from "../../../src/adapters/system/sha256-secret-hasher.js";

class MemoryTenants implements TenantRepository {
  readonly keys = new Map<string, StoredApiKey>();
  readonly tenants: Tenant[] = [];
  lookups = 0;
  async insertTenant(tenant: Tenant, key: StoredApiKey): Promise<"written" | "conflict"> {
    if (this.tenants.some((t) => t.name === tenant.name)) return "conflict";
    this.tenants.push(tenant);
    this.keys.set(key.keyId, key);
    return "written";
  }
  async findApiKey(keyId: string): Promise<StoredApiKey | undefined> {
    this.lookups++;
    return this.keys.get(keyId);
  }
  async findTenantByName(name: string): Promise<Tenant | undefined> {
    return this.tenants.find((t) => t.name === name);
  }
}

let counter = 0;
const ids = {
  newId: (prefix: string) => `${prefix}_${(++counter).toString(16).padStart(20, "0")}`,
  newSecret: () => "s".repeat(42) + String(counter % 10),
};
const clock = { now: () => new Date("2026-11-22T00:00:00Z") };

async function setup(cacheMs = 1000) {
  const tenants = new MemoryTenants();
  const hasher = new Sha256SecretHasher();
  const created = await new CreateTenant(tenants, hasher, ids, clock).execute("acme");
  if (!created.ok) throw new Error("tenant not created");
  let nowMs = 0;
  const auth = new Authenticate(tenants, hasher, cacheMs, () => nowMs);
  return { tenants, created: created.value, auth, advance: (ms: number) => (nowMs += ms) };
}

describe("authentication", () => {
  it("resolves a valid key to its tenant; the key itself is never stored", async () => {
    const { tenants, created, auth } = await setup();
    const principal = await auth.execute(`Bearer ${created.apiKey}`);
    expect(principal.ok && principal.value.tenantId).toBe(created.tenant.id);
    expect(JSON.stringify([...tenants.keys.values()].map((k) => ({ ...k, secretHash: [...k.secretHash] })))).not.toContain(created.apiKey.split(".")[2]);
  });

  it.each([
    ["no header", undefined, /missing credentials/],
    ["another scheme", "Basic abc", /Bearer/],
    ["a malformed key", "Bearer tg.nope", /malformed/],
  ])("refuses %s", async (_name, header, message) => {
    const { auth } = await setup();
    const result = await auth.execute(header);
    expect(!result.ok && result.error.kind).toBe("UNAUTHENTICATED");
    expect(!result.ok && result.error.kind === "UNAUTHENTICATED" && result.error.message).toMatch(message);
  });

  it("refuses a known key id with the wrong secret, and an unknown key id, alike", async () => {
    const { created, auth } = await setup();
    const [, keyId] = created.apiKey.split(".");
    const wrongSecret = await auth.execute(`Bearer ${formatApiKey(keyId!, "x".repeat(43))}`);
    const unknown = await auth.execute(`Bearer ${formatApiKey("key_" + "f".repeat(20), "x".repeat(43))}`);
    expect(wrongSecret).toEqual(unknown);
    expect(!wrongSecret.ok && wrongSecret.error.kind).toBe("UNAUTHENTICATED");
  });

  it("caches lookups for the configured time, then looks the key up again", async () => {
    const { tenants, created, auth, advance } = await setup(1000);
    await auth.execute(`Bearer ${created.apiKey}`);
    await auth.execute(`Bearer ${created.apiKey}`);
    expect(tenants.lookups).toBe(1);
    advance(1001);
    await auth.execute(`Bearer ${created.apiKey}`);
    expect(tenants.lookups).toBe(2);
  });

  it("stops accepting a revoked key once the cache entry expires", async () => {
    const { tenants, created, auth, advance } = await setup(1000);
    expect((await auth.execute(`Bearer ${created.apiKey}`)).ok).toBe(true);
    const [, keyId] = created.apiKey.split(".");
    const stored = tenants.keys.get(keyId!)!;
    tenants.keys.set(keyId!, { ...stored, revoked: true });
    advance(1001);
    expect((await auth.execute(`Bearer ${created.apiKey}`)).ok).toBe(false);
  });

  it("refuses a second tenant with the same name", async () => {
    const { tenants } = await setup();
    const again = await new CreateTenant(tenants, new Sha256SecretHasher(), ids, clock).execute("acme");
    expect(!again.ok && again.error.kind).toBe("ALREADY_EXISTS");
  });
});
