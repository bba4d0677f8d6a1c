import type { WalletEvent } from "../../domain/wallet/events.js";
import type { Balance } from "../../domain/wallet/balance.js";
import type { Wallet } from "../../domain/wallet/wallet.js";
import type { WriteOutcome } from "./catalog-repository.js";
import { token } from "./token.js";

/** A wallet is the customer's: one per (tenant, customer). */
export type WalletKey = { readonly tenantId: string; readonly walletId: string };

export type StoredWalletEvent = { readonly version: number; readonly at: Date; readonly event: WalletEvent };

/** What one append writes besides the events: the read model and, sometimes, a snapshot. */
export type AppendExtras = {
  readonly balance: Balance;
  readonly nextDueAt: Date | undefined;
  readonly snapshot: Wallet | undefined;
};

/**
 * The wallet event store. `append` writes events `expectedVersion + 1 …` and the projection in
 * one transaction, or reports "conflict" when another writer already took those versions.
 */
export interface WalletStore {
  /** The wallet's current state (latest snapshot plus the events after it); initial if none. */
  load(key: WalletKey): Promise<Wallet>;
  append(key: WalletKey, expectedVersion: number, events: readonly WalletEvent[], at: Date, extras: AppendExtras): Promise<WriteOutcome>;
  listEvents(key: WalletKey, afterVersion: number, limit: number): Promise<readonly StoredWalletEvent[]>;
  getBalance(key: WalletKey): Promise<Balance | undefined>;
  /** Wallets whose housekeeping is due at `now`, oldest due first. */
  dueWallets(now: Date, limit: number): Promise<readonly WalletKey[]>;
}
export const WalletStore = token<WalletStore>("WalletStore");

/** Tells watchers (in this process and, through the database, in others) that a wallet changed. */
export interface WalletChangeFeed {
  publish(key: WalletKey, version: number): void;
  subscribe(key: WalletKey, onChange: (version: number) => void): () => void;
}
export const WalletChangeFeed = token<WalletChangeFeed>("WalletChangeFeed");
