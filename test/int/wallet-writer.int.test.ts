import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import pino from "pino";
import { migrateToLatest, openDatabase, type DatabaseHandle } from "../../src/adapters/postgres/database.js";
import { WalletChanges } from "../../src/adapters/postgres/wallet-change-feed.js";
import { jsonbEncodingFor } from "../../src/adapters/postgres/jsonb-param.js";
import { PostgresWalletStore } from "../../src/adapters/postgres/wallet-store.js";
import { WalletWriter } from "../../src/application/wallet/wallet-writer.js";
import { Decimal } from "../../src/domain/money/decimal.js";
import { available, replay } from "../../src/domain/wallet/wallet.js";
import { backends, createServerDatabase } from "../support/databases.js";

const d = (text: string): Decimal => {
  const parsed = Decimal.parse(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const clock = { now: () => new Date() };
const options = { snapshotEvery: 50, expiryWarningLeadMs: 86_400_000, batchMax: 1000, cachedWalletsMax: 1000 };

function writerOn(handle: DatabaseHandle) {
  const store = new PostgresWalletStore(handle.db, false, handle.appendDb, jsonbEncodingFor(handle.kind));
  return { store, writer: new WalletWriter(store, new WalletChanges(pino({ level: "silent" })), clock, options) };
}

async function fundedWallet(writer: WalletWriter, walletId: string, amount: string) {
  const key = { tenantId: "t1", walletId };
  const now = new Date();
  expect((await writer.execute(key, { type: "OpenWallet", currency: "USD", overageLimit: Decimal.ZERO, now })).ok).toBe(true);
  expect((await writer.execute(key, { type: "GrantCredits", grantId: "g1", amount: d(amount), source: "PURCHASE", expiresAt: undefined, priority: 0, reference: "", now })).ok).toBe(true);
  return key;
}

const reserveCent = (i: number) => ({ type: "ReserveFunds" as const, reservationId: `r${i}`, amount: d("0.01"), expiresAt: new Date(Date.now() + 600_000), now: new Date() });

describe.each(backends())("the wallet writer on %s Postgres", (backend) => {
  let handles: DatabaseHandle[] = [];
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (backend === "server") {
      const created = await createServerDatabase();
      drop = created.drop;
      handles = [await openDatabase({ kind: "server", url: created.url, poolMax: 4 }), await openDatabase({ kind: "server", url: created.url, poolMax: 4 })];
    } else {
      handles = [await openDatabase({ kind: "memory" })];
    }
    await migrateToLatest(handles[0]!.db);
  }, 60_000);
  afterAll(async () => {
    for (const h of handles) await h.close();
    await drop?.();
  });

  it("allows exactly 100 of 500 simultaneous $0.01 holds against $1.00, with gapless versions", async () => {
    const { store, writer } = writerOn(handles[0]!);
    const key = await fundedWallet(writer, "w-single", "1.00");
    const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => writer.execute(key, reserveCent(i))));
    expect(answers.filter((a) => a.ok).length).toBe(100);
    expect(answers.filter((a) => !a.ok && a.error === "INSUFFICIENT_FUNDS").length).toBe(400);
    const events = await store.listEvents(key, 0, 10_000);
    expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
    const replayed = replay(events.map((e) => e.event));
    expect(available(replayed).toString()).toBe("0");
    const balance = await store.getBalance(key);
    expect(balance?.available.toString()).toBe("0");
    expect(balance?.reserved.toString()).toBe("1");
    expect(balance?.version).toBe(replayed.version);
    // A fresh load (snapshot + tail) agrees with the full replay.
    expect(available((await store.load(key)).wallet).toString()).toBe("0");
  }, 60_000);

  it("loads a wallet whose tail after the snapshot has ten or more events in version order", async () => {
    const { store } = writerOn(handles[0]!);
    const tailWriter = new WalletWriter(store, new WalletChanges(pino({ level: "silent" })), clock, { ...options, snapshotEvery: 1000 });
    const key = await fundedWallet(tailWriter, "w-tail", "100");
    for (let i = 0; i < 25; i++) expect((await tailWriter.execute(key, reserveCent(1000 + i))).ok).toBe(true);
    const loaded = (await store.load(key)).wallet;
    expect(loaded.version).toBe(27);
    expect(loaded.holds.size).toBe(25);
    expect(available(loaded).toString()).toBe("99.75");
  });

  const twoInstances = backend === "server" ? it : it.skip;
  twoInstances("two service instances on one database never overdraw one wallet", async () => {
    const a = writerOn(handles[0]!);
    const b = writerOn(handles[1]!);
    const key = await fundedWallet(a.writer, "w-two", "1.00");
    const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? a.writer : b.writer).execute(key, reserveCent(i))));
    expect(answers.filter((x) => x.ok).length).toBe(100);
    const events = await a.store.listEvents(key, 0, 10_000);
    expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.event.type === "FundsReserved").length).toBe(100);
    expect((await a.store.getBalance(key))?.available.toString()).toBe("0");
  }, 60_000);
});
