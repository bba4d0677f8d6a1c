import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { sql } from "kysely";
import pino from "pino";
import { CachedCatalogRepository } from "../../src/adapters/postgres/catalog-cache.js";
import { LocalCatalogChangeFeed, PgCatalogChangeFeed } from "../../src/adapters/postgres/catalog-change-feed.js";
import { PostgresCatalogRepository } from "../../src/adapters/postgres/catalog-repository.js";
import { migrateToLatest, openDatabase, type DatabaseHandle } from "../../src/adapters/postgres/database.js";
import { backends, createServerDatabase } from "../support/databases.js";

const meter = (key: string) => ({ key, displayName: key, unit: "token", createdAt: new Date("2026-11-01T00:00:00Z") });

async function eventually(check: () => Promise<boolean>, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

describe("catalog cache in one process", () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openDatabase({ kind: "memory" });
    await migrateToLatest(handle.db);
  }, 60_000);
  afterAll(() => handle.close());

  it("serves repeated reads from memory and drops them on a write through it", async () => {
    const cache = new CachedCatalogRepository(new PostgresCatalogRepository(handle.db), new LocalCatalogChangeFeed());
    expect(await cache.listMeters("t1")).toEqual([]);
    // A write behind the cache's back is not seen: the read was cached.
    await sql`insert into meters values ('t1', 'hidden', 'hidden', 'token', now())`.execute(handle.db);
    expect(await cache.listMeters("t1")).toEqual([]);
    // A write through the cache invalidates the tenant, so both rows appear.
    expect(await cache.insertMeter("t1", meter("input_tokens"))).toBe("written");
    expect((await cache.listMeters("t1")).map((m) => m.key)).toEqual(["hidden", "input_tokens"]);
  });

  it("does not remember unknown customers, so one created elsewhere is found at once", async () => {
    const cache = new CachedCatalogRepository(new PostgresCatalogRepository(handle.db), new LocalCatalogChangeFeed());
    expect(await cache.getCustomer("t1", "late")).toBeUndefined();
    await sql`insert into customers values ('t1', 'late', 'Late', 'ACTIVE', null, '', 0, 0, 0, 0, now(), now())`.execute(handle.db);
    await sql`insert into subscriptions values ('t1', 'late', 1, 'pro', now())`.execute(handle.db);
    expect((await cache.getCustomer("t1", "late"))?.id).toBe("late");
  });
});

const serverOnly = backends().includes("server") ? describe : describe.skip;

serverOnly("catalog cache across instances on server Postgres", () => {
  let url: string;
  let drop: () => Promise<void>;
  const handles: DatabaseHandle[] = [];
  const feeds: PgCatalogChangeFeed[] = [];

  beforeAll(async () => {
    ({ url, drop } = await createServerDatabase());
    for (let i = 0; i < 2; i++) handles.push(await openDatabase({ kind: "server", url, poolMax: 2 }));
    await migrateToLatest(handles[0]!.db);
  }, 60_000);
  afterAll(async () => {
    for (const f of feeds) await f.stop();
    for (const h of handles) await h.close();
    await drop();
  });

  it("a write on one instance invalidates the other's cached catalog through NOTIFY", async () => {
    const caches = handles.map((h) => {
      const lost = { invalidate: () => {} };
      const feed = new PgCatalogChangeFeed(url, { notify: async (channel, payload) => void (await sql`select pg_notify(${channel}, ${payload})`.execute(h.db)) }, pino({ level: "silent" }), () => lost.invalidate());
      feeds.push(feed);
      const cache = new CachedCatalogRepository(new PostgresCatalogRepository(h.db), feed);
      lost.invalidate = () => cache.invalidateAll();
      return { cache, feed };
    });
    for (const { feed } of caches) await feed.start();
    const [a, b] = [caches[0]!.cache, caches[1]!.cache];
    expect(await a.listMeters("t1")).toEqual([]);
    expect(await b.insertMeter("t1", meter("output_tokens"))).toBe("written");
    expect(await eventually(async () => (await a.listMeters("t1")).length === 1)).toBe(true);
    // Other tenants' cached entries are untouched by the announcement.
    expect(await a.listMeters("t2")).toEqual([]);
  });
});
