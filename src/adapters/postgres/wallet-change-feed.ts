import type { Logger } from "pino";
import type { WalletChangeFeed, WalletKey } from "../../application/ports/wallet-store.js";
import { ListenConnection } from "./listen-connection.js";
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
  private connection: ListenConnection | undefined;
  private readonly announced: ((key: WalletKey, version: number) => void)[] = [];

  /** Hears every append announced through the database (any instance's, this one's included). */
  onAnnounced(listener: (key: WalletKey, version: number) => void): void {
    this.announced.push(listener);
  }

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

  /**
   * Listens for other instances' appends on server Postgres. After a gap in the connection,
   * every watcher is woken to re-read its wallet (they skip versions they have seen).
   */
  async listen(url: string): Promise<void> {
    this.connection = new ListenConnection(
      url,
      walletChannel,
      (payload) => {
        const [tenantId, walletId, version] = JSON.parse(payload) as [string, string, number];
        for (const listener of this.announced) listener({ tenantId, walletId }, version);
        this.publish({ tenantId, walletId }, version);
      },
      () => this.wakeAll(),
      this.logger,
    );
    await this.connection.start();
  }

  private wakeAll(): void {
    for (const set of this.listeners.values()) for (const listen of set) listen(Number.MAX_SAFE_INTEGER);
  }

  async stop(): Promise<void> {
    await this.connection?.stop();
  }
}
