import { describe, expect, it } from "@jest/globals";
import type { AppendPart, LoadedWallet, PartOutcome, WalletChangeFeed, WalletStore } from "../../../src/application/ports/wallet-store.js";
import { WalletWriter } from "../../../src/application/wallet/wallet-writer.js";
import { Decimal } from "../../../src/domain/money/decimal.js";
import { available, initialWallet } from "../../../src/domain/wallet/wallet.js";

const d = (text: string): Decimal => {
  const parsed = Decimal.parse(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};
const cent = d("0.01");
const plenty = d("1000");

/** A store whose appends land only when the test lets them, in the order they were sent. */
class HeldStore implements WalletStore {
  readonly sent: { readonly parts: readonly AppendPart[]; land: () => void }[] = [];

  load(): Promise<LoadedWallet> {
    return Promise.resolve({ wallet: initialWallet, token: "", log: { seq: 0, hash: "" }, snapshotVersion: 0 });
  }
  append(parts: readonly AppendPart[]): Promise<readonly PartOutcome[]> {
    return new Promise((resolve) => this.sent.push({ parts, land: () => resolve(parts.map(() => "written")) }));
  }
  /** Commands carried by each append sent so far. */
  sizes(): number[] {
    return this.sent.map((a) => a.parts.reduce((n, p) => n + p.events.length, 0));
  }
  taken = () => Promise.resolve({ eventIds: new Set<string>(), reservationIds: new Set<string>() });
  findHold = () => Promise.resolve(undefined);
  listEvents = () => Promise.resolve([]);
  getBalance = () => Promise.resolve(undefined);
  dueWallets = () => Promise.resolve([]);
}

const silentFeed: WalletChangeFeed = { publish: () => {}, subscribe: () => () => {} };
const now = new Date("2026-12-01T10:00:00Z");
const key = { tenantId: "t1", walletId: "hot" };
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const reserve = (id: string) => ({ type: "ReserveFunds" as const, reservationId: id, amount: cent, expiresAt: new Date(now.getTime() + 60_000), now });

/** A writer over a held store, its wallet opened and funded (those appends landed). */
async function openedWriter() {
  const store = new HeldStore();
  const writer = new WalletWriter(store, silentFeed, { now: () => now }, { snapshotEvery: 1000, expiryWarningLeadMs: 0, batchMax: 1000, cachedWalletsMax: 10 });
  const opened = writer.execute(key, { type: "OpenWallet", currency: "USD", overageLimit: Decimal.ZERO, now });
  const funded = writer.execute(key, { type: "GrantCredits", grantId: "g", amount: plenty, source: "PURCHASE", expiresAt: undefined, priority: 0, reference: "", now });
  while (store.sent.length < 1) await turn();
  for (const a of store.sent) a.land();
  expect((await opened).ok).toBe(true);
  expect((await funded).ok).toBe(true);
  store.sent.length = 0;
  return { store, writer };
}

describe("the wallet writer's group commit", () => {
  it("splits commands that arrive together over two appends sent back to back", async () => {
    const { store, writer } = await openedWriter();
    const answers = Array.from({ length: 64 }, (_, i) => writer.execute(key, reserve(`r${i}`)));
    await turn();
    expect(store.sizes()).toEqual([32, 32]);
    for (const a of store.sent) a.land();
    expect((await Promise.all(answers)).every((a) => a.ok)).toBe(true);
  });

  it("sends the next commands of the callers one append answered as one append, not the first alone", async () => {
    const { store, writer } = await openedWriter();
    // 64 callers in a loop: each reserves again as soon as its reservation is answered.
    let next = 0;
    const caller = async (rounds: number) => {
      for (let r = 0; r < rounds; r++) expect((await writer.execute(key, reserve(`r${next++}`))).ok).toBe(true);
    };
    const callers = Array.from({ length: 64 }, () => caller(2));
    await turn();
    expect(store.sizes()).toEqual([32, 32]);
    // The first append lands while the second is still in flight: its 32 callers come back.
    store.sent[0]?.land();
    await turn();
    await turn();
    expect(store.sizes()).toEqual([32, 32, 32]);
    // And the second group the same way, while the third append is in flight.
    store.sent[1]?.land();
    await turn();
    await turn();
    expect(store.sizes()).toEqual([32, 32, 32, 32]);
    store.sent[2]?.land();
    store.sent[3]?.land();
    await Promise.all(callers);
  });

  it("does not split a handful of commands", async () => {
    const { store, writer } = await openedWriter();
    const answers = Array.from({ length: 5 }, (_, i) => writer.execute(key, reserve(`r${i}`)));
    await turn();
    expect(store.sizes()).toEqual([5]);
    store.sent[0]?.land();
    expect((await Promise.all(answers)).every((a) => a.ok)).toBe(true);
  });

  it("shows each caller the wallet right after its own command, though one append carries them all", async () => {
    const { store, writer } = await openedWriter();
    const answers = Array.from({ length: 5 }, (_, i) => writer.execute(key, reserve(`r${i}`), (w) => ({ holds: w.holds.size, available: available(w).toString() })));
    await turn();
    expect(store.sizes()).toEqual([5]);
    store.sent[0]?.land();
    const views = (await Promise.all(answers)).map((a) => (a.ok ? a.value.view : a.error));
    expect(views).toEqual([
      { holds: 1, available: "999.99" },
      { holds: 2, available: "999.98" },
      { holds: 3, available: "999.97" },
      { holds: 4, available: "999.96" },
      { holds: 5, available: "999.95" },
    ]);
  });
});
