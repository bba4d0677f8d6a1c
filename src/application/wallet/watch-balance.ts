import type { Balance } from "../../domain/wallet/balance.js";
import type { AlertKind } from "../../domain/wallet/events.js";
import type { Decimal } from "../../domain/money/decimal.js";
import type { Result } from "../../domain/result.js";
import type { AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import type { WalletChangeFeed, WalletStore } from "../ports/wallet-store.js";
import { GetBalance } from "./get-balance.js";
import { customerWallet } from "./wallet-access.js";

export type RaisedAlert = { readonly kind: AlertKind; readonly threshold: Decimal; readonly available: Decimal; readonly at: Date };
export type BalanceUpdate = { readonly balance: Balance; readonly alerts: readonly RaisedAlert[] };

/**
 * Safety net under the change feed: even if an announcement is lost (a dropped listening
 * connection), a watcher re-reads the wallet this often.
 */
const pollMs = 5000;

/**
 * Streams a wallet: its balance now, then after every change, with the alerts that change
 * raised. Changes are announced by the writer (this process) and by Postgres NOTIFY (others).
 */
export class WatchBalance {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly store: WalletStore,
    private readonly changes: WalletChangeFeed,
    private readonly clock: Clock,
  ) {}

  /** Checks the customer first so an unknown one is refused before the stream starts. */
  async open(tenantId: string, customerId: string, signal: AbortSignal): Promise<Result<AsyncIterable<BalanceUpdate>, AppError>> {
    const wallet = await customerWallet(this.catalog, this.clock, tenantId, customerId);
    if (!wallet.ok) return wallet;
    const readBalance = async () => {
      const balance = await new GetBalance(this.catalog, this.store, this.clock).execute(tenantId, customerId);
      if (!balance.ok) throw new Error(`wallet of ${customerId} vanished while watched`);
      return balance.value;
    };
    return { ok: true, value: this.updates(wallet.value.key, readBalance, signal) };
  }

  private async *updates(key: { tenantId: string; walletId: string }, readBalance: () => Promise<Balance>, signal: AbortSignal): AsyncGenerator<BalanceUpdate> {
    // Subscribe before the first read, so a change landing in between is not missed.
    let seen = Number.MAX_SAFE_INTEGER;
    let pending = false;
    let wake: (() => void) | undefined;
    const unsubscribe = this.changes.subscribe(key, (version) => {
      if (version > seen) wake?.();
      pending = true;
    });
    const first = await readBalance();
    seen = first.version;
    yield { balance: first, alerts: [] };
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        if (!pending) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, pollMs).unref?.();
          });
        }
        wake = undefined;
        pending = false;
        if (signal.aborted) break;
        const events = await this.store.listEvents(key, seen, 1000);
        if (events.length === 0) continue;
        const balance = await this.store.getBalance(key);
        if (!balance) continue;
        const alerts = events.flatMap((e) =>
          e.event.type === "BalanceAlertRaised" ? [{ kind: e.event.kind, threshold: e.event.threshold, available: e.event.available, at: e.at }] : [],
        );
        seen = events[events.length - 1]?.version ?? seen;
        yield { balance, alerts };
      }
    } finally {
      unsubscribe();
      signal.removeEventListener("abort", onAbort);
    }
  }
}
