import type { AppendPart, LoadedWallet, PartOutcome, StoredHold, StoredWalletEvent, TakenKeys, WalletKey, WalletStore } from "../../application/ports/wallet-store.js";
import type { Balance } from "../../domain/wallet/balance.js";
import type { TollgateMetrics } from "./metrics.js";

/** The wallet store, counting what group commit writes: events per wallet per append, and lost races. */
export class InstrumentedWalletStore implements WalletStore {
  constructor(
    private readonly inner: WalletStore,
    private readonly metrics: TollgateMetrics,
  ) {}

  async append(parts: readonly AppendPart[], at: Date): Promise<readonly PartOutcome[] | "duplicate"> {
    const outcomes = await this.inner.append(parts, at);
    if (outcomes === "duplicate") return outcomes;
    outcomes.forEach((o, i) => {
      if (o === "conflict") this.metrics.walletConflicts.add(1);
      else this.metrics.walletBatchSize.record(parts[i]?.events.length ?? 0);
    });
    return outcomes;
  }

  load(key: WalletKey): Promise<LoadedWallet> {
    return this.inner.load(key);
  }
  taken(part: AppendPart): Promise<TakenKeys> {
    return this.inner.taken(part);
  }
  findHold(key: WalletKey, reservationId: string): Promise<StoredHold | undefined> {
    return this.inner.findHold(key, reservationId);
  }
  listEvents(key: WalletKey, afterVersion: number, limit: number): Promise<readonly StoredWalletEvent[]> {
    return this.inner.listEvents(key, afterVersion, limit);
  }
  getBalance(key: WalletKey): Promise<Balance | undefined> {
    return this.inner.getBalance(key);
  }
  dueWallets(now: Date, limit: number): Promise<readonly { key: WalletKey; dueAt: Date }[]> {
    return this.inner.dueWallets(now, limit);
  }
}
