import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import pino from "pino";
import { migrateToLatest, openDatabase, type DatabaseHandle } from "../../src/adapters/postgres/database.js";
import { jsonbEncodingFor } from "../../src/adapters/postgres/jsonb-param.js";
import { PostgresUsageLog } from "../../src/adapters/postgres/usage-log.js";
import { WalletChanges } from "../../src/adapters/postgres/wallet-change-feed.js";
import { PostgresWalletStore } from "../../src/adapters/postgres/wallet-store.js";
import { Sha256UsageLogHasher } from "../../src/adapters/system/sha256-usage-log-hasher.js";
import type { UsageRecord } from "../../src/application/ports/usage-log.js";
import { observeNothing, WalletWriter } from "../../src/application/wallet/wallet-writer.js";
import { Decimal } from "../../src/domain/money/decimal.js";
import { backends, createServerDatabase } from "../support/databases.js";

const d = (text: string): Decimal => {
  const parsed = Decimal.parse(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

// Every character the array and JSON encodings must carry through: quotes, backslashes, the
// array literal's braces and commas, white space, non-ASCII, and text that spells NULL.
const awkwardId = `a"b\\c{d},e`;
const awkwardCustomer = `cus"\\{1},x`;
const record = (i: number, over: Partial<UsageRecord> = {}): UsageRecord => ({
  tenantId: "t-awkward",
  eventId: i === 0 ? awkwardId : i === 1 ? "NULL" : `evt-${i}`,
  customerId: awkwardCustomer,
  model: "gpt-4o",
  occurredAt: new Date(Date.UTC(2026, 11, 3, 10, 0, 0, i)),
  receivedAt: new Date(Date.UTC(2026, 11, 3, 10, 0, 1, 500)),
  quantities: { input_tokens: String(1000 + i), output_tokens: "0.000000000001" },
  attributes: i % 2 === 0 ? { note: `say "hi" \\ back {x}, ✓ 𝄞 NULL`, region: "" } : {},
  charge: d(`0.00${i}25`),
  currency: "USD",
  cost: d("0.000000000001"),
  costCurrency: "EUR",
  planKey: "pro",
  planVersion: 3,
  costVersion: 2,
  periodStart: new Date(Date.UTC(2026, 11, 1)),
  reservationId: undefined,
  released: undefined,
  overage: undefined,
  contentHash: "f".repeat(64),
  ...over,
});

describe.each(backends())("usage records written by the wallet append on %s Postgres", (backend) => {
  let handle: DatabaseHandle;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (backend === "server") {
      const created = await createServerDatabase();
      drop = created.drop;
      handle = await openDatabase({ kind: "server", url: created.url, poolMax: 2 });
    } else {
      handle = await openDatabase({ kind: "memory" });
    }
    await migrateToLatest(handle.db);
  }, 60_000);
  afterAll(async () => {
    await handle.close();
    await drop?.();
  });

  it("reads back every field exactly as written, and the chain's hashes recompute", async () => {
    const hasher = new Sha256UsageLogHasher();
    const store = new PostgresWalletStore(handle.db, false, handle.appendDb, jsonbEncodingFor(handle.kind));
    const writer = new WalletWriter(store, new WalletChanges(pino({ level: "silent" })), { now: () => new Date() }, { snapshotEvery: 50, expiryWarningLeadMs: 86_400_000, batchMax: 1000, cachedWalletsMax: 100 }, hasher);
    const key = { tenantId: "t-awkward", walletId: awkwardCustomer };
    const now = new Date();
    const written: UsageRecord[] = [
      ...Array.from({ length: 250 }, (_, i) => record(i)),
      record(250, { reservationId: `hold"\\{,}`, released: d("0.5"), overage: d("0") }),
    ];
    const opened = await writer.run(key, () => ({ commands: [{ type: "OpenWallet", currency: "USD", overageLimit: Decimal.ZERO, now }], records: written.slice(0, 1), observe: observeNothing }));
    expect(opened.kind).toBe("decided");
    const rest = await writer.run(key, () => ({ commands: [], records: written.slice(1), observe: observeNothing }));
    expect(rest.kind).toBe("decided");

    const stored = await new PostgresUsageLog(handle.db).chainRecords("t-awkward", awkwardCustomer, 0, 1000);
    expect(stored.map((s) => s.record)).toEqual(written);
    let prev = "";
    stored.forEach((s, i) => {
      expect(s.seq).toBe(i + 1);
      expect(s.prevHash).toBe(prev);
      expect(s.hash).toBe(hasher.hashOf(prev, s.record, s.seq));
      prev = s.hash;
    });
  }, 60_000);
});
