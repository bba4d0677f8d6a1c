import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { PostgresCatalogRepository } from "../../src/adapters/postgres/catalog-repository.js";
import { migrateToLatest, openDatabase, type DatabaseHandle } from "../../src/adapters/postgres/database.js";
import type { Database } from "../../src/adapters/postgres/tables/index.js";
import { Decimal } from "../../src/domain/money/decimal.js";
import type { Customer } from "../../src/domain/catalog/customer.js";
import type { PlanVersion } from "../../src/domain/catalog/plan.js";
import { backends, createServerDatabase } from "../support/databases.js";

const d = (text: string): Decimal => {
  const parsed = Decimal.parse(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const at = (iso: string) => new Date(iso);

const version = (n: number, from: string): PlanVersion => ({
  version: n,
  effectiveFrom: at(from),
  publishedAt: at("2026-11-01T00:00:00Z"),
  prices: [{ model: "*", formula: { expression: "cost * markup", rates: { markup: "1.25" } } }],
  recurringFee: d("20"),
  interval: "MONTHLY",
  includedCredit: d("5.000000000000000001"),
  overageLimit: d("10"),
  trialCredit: d("0"),
  routing: "HIGHEST_MARGIN",
});

const customer = (id: string): Customer => ({
  id,
  displayName: id,
  status: "ACTIVE",
  trialEndsAt: undefined,
  fingerprint: "fp-1",
  limits: { dailySpendCap: d("12.5"), monthlySpendCap: d("0"), maxConcurrentReservations: 3, maxAuthorizationsPerSecond: 0 },
  subscriptions: [{ planKey: "pro", startedAt: at("2026-10-01T00:00:00Z") }],
  createdAt: at("2026-10-01T00:00:00Z"),
  updatedAt: at("2026-10-01T00:00:00Z"),
});

describe.each(backends())("catalog persistence on %s Postgres", (backend) => {
  let handle: DatabaseHandle;
  let drop: (() => Promise<void>) | undefined;
  let repo: PostgresCatalogRepository;
  let db: Kysely<Database>;

  beforeAll(async () => {
    if (backend === "server") {
      const created = await createServerDatabase();
      drop = created.drop;
      handle = await openDatabase({ kind: "server", url: created.url, poolMax: 2 });
    } else {
      handle = await openDatabase({ kind: "memory" });
    }
    db = handle.db;
    await migrateToLatest(db);
    repo = new PostgresCatalogRepository(db);
  }, 60_000);

  afterAll(async () => {
    await handle.close();
    await drop?.();
  });

  it("migrating twice is a no-op", async () => {
    const again = await migrateToLatest(db);
    expect(again.results ?? []).toHaveLength(0);
  });

  it("stores meters per tenant and reports a taken key as a conflict", async () => {
    const meter = { key: "input_tokens", displayName: "Input", unit: "token", createdAt: at("2026-11-01T00:00:00Z") };
    expect(await repo.insertMeter("t1", meter)).toBe("written");
    expect(await repo.insertMeter("t1", meter)).toBe("conflict");
    expect(await repo.insertMeter("t2", { ...meter, unit: "tok" })).toBe("written");
    expect((await repo.listMeters("t1")).map((m) => m.unit)).toEqual(["token"]);
    expect((await repo.listMeters("t2")).map((m) => m.unit)).toEqual(["tok"]);
    expect(await repo.listMeters("t3")).toEqual([]);
  });

  it("keeps a model's cost versions in order with their formulas intact", async () => {
    const cost = { expression: "input_tokens * rate_in", rates: { rate_in: "0.0000025" } };
    const v1 = { version: 1, effectiveFrom: at("2026-01-01T00:00:00Z"), cost, currency: "USD", createdAt: at("2026-01-01T00:00:00Z") };
    const model = { key: "gpt-4o", vendor: "openai", displayName: "GPT-4o", tags: ["chat"], costVersions: [v1], createdAt: v1.createdAt };
    expect(await repo.insertModel("t1", model)).toBe("written");
    const v2 = { ...v1, version: 2, effectiveFrom: at("2026-06-01T00:00:00Z"), cost: { expression: cost.expression, rates: { rate_in: "0.000002" } } };
    expect(await repo.updateModel("t1", { ...model, tags: ["chat", "flagship"] }, v2)).toBe("written");
    expect(await repo.updateModel("t1", model, v2)).toBe("conflict");
    const loaded = await repo.getModel("t1", "gpt-4o");
    expect(loaded?.tags).toEqual(["chat", "flagship"]);
    expect(loaded?.costVersions.map((v) => [v.version, v.cost.rates["rate_in"], v.effectiveFrom.toISOString()])).toEqual([
      [1, "0.0000025", "2026-01-01T00:00:00.000Z"],
      [2, "0.000002", "2026-06-01T00:00:00.000Z"],
    ]);
    expect(await repo.getModel("t2", "gpt-4o")).toBeUndefined();
  });

  it("stores every plan version field exactly, decimals included", async () => {
    await repo.insertPlan("t1", { key: "pro", displayName: "Pro", currency: "USD", createdAt: at("2026-01-01T00:00:00Z"), versions: [] });
    expect(await repo.insertPlanVersion("t1", "pro", version(1, "2026-01-01T00:00:00Z"))).toBe("written");
    expect(await repo.insertPlanVersion("t1", "pro", version(1, "2026-02-01T00:00:00Z"))).toBe("conflict");
    const plan = await repo.getPlan("t1", "pro");
    const v = plan?.versions[0];
    expect(v?.includedCredit.toString()).toBe("5.000000000000000001");
    expect(v?.recurringFee.toString()).toBe("20");
    expect(v?.routing).toBe("HIGHEST_MARGIN");
    expect(v?.prices).toEqual([{ model: "*", formula: { expression: "cost * markup", rates: { markup: "1.25" } } }]);
  });

  it("refuses to edit or delete a published plan version", async () => {
    await expect(sql`update plan_versions set routing = 'FIRST_ALLOWED' where tenant_id = 't1'`.execute(db)).rejects.toThrow(/immutable/);
    await expect(sql`delete from plan_versions where tenant_id = 't1'`.execute(db)).rejects.toThrow(/immutable/);
    expect((await repo.getPlan("t1", "pro"))?.versions[0]?.routing).toBe("HIGHEST_MARGIN");
  });

  it("keeps a customer's subscription timeline and limits", async () => {
    expect(await repo.insertCustomer("t1", customer("c-1"))).toBe("written");
    expect(await repo.insertCustomer("t1", customer("c-1"))).toBe("conflict");
    expect(await repo.appendSubscription("t1", "c-1", 2, { planKey: "team", startedAt: at("2026-11-15T00:00:00Z") }, at("2026-11-15T00:00:00Z"))).toBe("written");
    expect(await repo.appendSubscription("t1", "c-1", 2, { planKey: "other", startedAt: at("2026-11-16T00:00:00Z") }, at("2026-11-16T00:00:00Z"))).toBe("conflict");
    await repo.updateCustomerLimits("t1", "c-1", { dailySpendCap: d("1"), monthlySpendCap: d("30.5"), maxConcurrentReservations: 0, maxAuthorizationsPerSecond: 9 }, at("2026-11-20T00:00:00Z"));
    await repo.updateCustomerStatus("t1", "c-1", "SUSPENDED", at("2026-11-21T00:00:00Z"));
    const loaded = await repo.getCustomer("t1", "c-1");
    expect(loaded?.subscriptions.map((s) => s.planKey)).toEqual(["pro", "team"]);
    expect(loaded?.limits.monthlySpendCap.toString()).toBe("30.5");
    expect(loaded?.limits.maxAuthorizationsPerSecond).toBe(9);
    expect(loaded?.status).toBe("SUSPENDED");
    expect(loaded?.updatedAt.toISOString()).toBe("2026-11-21T00:00:00.000Z");
    expect(await repo.getCustomer("t2", "c-1")).toBeUndefined();
  });
});
