import pg from "pg";
import type { Logger } from "pino";
import type { WalletChangeFeed, WalletKey } from "../../application/ports/wallet-store.js";
import { walletChannel } from "./wallet-store.js";

const keyOf = (k: WalletKey) => `${k.tenantId}\u0000${k.walletId}`;

/**
 * Wallet change announcements to watchers (WatchBalance). Writes in this process announce
 * directly; on server Postgres, appends also NOTIFY inside their transaction and every instance
 * listens, so a watcher hears about writes made anywhere. Watchers may hear a version twice
 * (both paths) and must ignore versions they have seen.
 */
export class WalletChanges implements WalletChangeFeed {
  private readonly listeners = new Map<string, Set<(version: number) => void>>();
  private client: pg.Client | undefined;
  private closed = false;

  constructor(private readonly logger: Logger) {}

  publish(key: WalletKey, version: number): void {
    for (const listen of this.listeners.get(keyOf(key)) ?? []) listen(version);
  }

  subscribe(key: WalletKey, onChange: (version: number) => void): () => void {
    const id = keyOf(key);
    let set = this.listeners.get(id);
    if (!set) {
      set = new Set();
      this.listeners.set(id, set);
    }
    set.add(onChange);
    return () => {
      set.delete(onChange);
      if (set.size === 0) this.listeners.delete(id);
    };
  }

  /** Listens for other instances' appends on server Postgres. */
  async listen(url: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    client.on("notification", (message) => {
      if (message.channel !== walletChannel || !message.payload) return;
      const [tenantId, walletId, version] = JSON.parse(message.payload) as [string, string, number];
      this.publish({ tenantId, walletId }, version);
    });
    client.on("error", (error) => {
      this.logger.warn({ err: error }, "wallet change feed lost its connection; reconnecting");
      if (!this.closed) setTimeout(() => void this.listen(url).catch(() => undefined), 1000).unref();
    });
    await client.connect();
    await client.query(`listen ${walletChannel}`);
    this.client = client;
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }
}
