import type { WalletEvent } from "../../domain/wallet/events.js";
import type { Balance } from "../../domain/wallet/balance.js";
import type { Wallet } from "../../domain/wallet/wallet.js";
import type { Decimal } from "../../domain/money/decimal.js";
import { token } from "./token.js";
import type { ChainedRecord, LogHead } from "./usage-log.js";

/** A wallet is the customer's: one per (tenant, customer). */
export type WalletKey = { readonly tenantId: string; readonly walletId: string };

export type StoredWalletEvent = { readonly version: number; readonly at: Date; readonly event: WalletEvent };

/**
 * A wallet as loaded: its state, the token of the append that wrote it last (what the next
 * append must find to win), and the end of its customer's usage-record chain.
 */
export type LoadedWallet = { readonly wallet: Wallet; readonly token: string; readonly log: LogHead; readonly snapshotVersion: number };

/**
 * One wallet's share of an append: its new events, read model, usage records and maybe a
 * snapshot, written only if the wallet is still at `expected` (version and token) when the
 * statement runs. Then the wallet is at `token`.
 */
export type AppendPart = {
  readonly key: WalletKey;
  readonly expected: { readonly version: number; readonly token: string };
  readonly token: string;
  readonly events: readonly WalletEvent[];
  readonly balance: Balance;
  readonly nextDueAt: Date | undefined;
  readonly snapshot: Wallet | undefined;
  readonly records: readonly ChainedRecord[];
  readonly log: LogHead;
};

/** "conflict": another writer moved the wallet first, nothing of this part was written. */
export type PartOutcome = "written" | "conflict";

/** Which of a part's unique keys already exist in the database. */
export type TakenKeys = { readonly eventIds: ReadonlySet<string>; readonly reservationIds: ReadonlySet<string> };

/** What the store remembers of a hold: the event that placed it. */
export type StoredHold = { readonly reservationId: string; readonly amount: Decimal; readonly expiresAt: Date; readonly model: string; readonly at: Date };

/**
 * The wallet event store. `append` writes the parts of many wallets in one atomic statement;
 * each part applies only if its wallet is where the part expects it, so a writer that lost a
 * race (another process, or an earlier failed append) writes nothing for that wallet. Appends
 * of one wallet may be in flight together: each waits for the one before it and applies only
 * if that one did.
 */
export interface WalletStore {
  /** The wallet's current state (latest snapshot plus the events after it); initial if none. */
  load(key: WalletKey): Promise<LoadedWallet>;
  /**
   * One outcome per part, in order; or "duplicate" when a unique key (a usage record's event
   * id, a new hold's reservation id) was already taken, in which case nothing was written.
   */
  append(parts: readonly AppendPart[], at: Date): Promise<readonly PartOutcome[] | "duplicate">;
  /** Which of the part's usage event ids and new reservation ids are already written. */
  taken(part: AppendPart): Promise<TakenKeys>;
  /** The hold `reservationId` of the wallet as placed, even if the wallet has long forgotten it. */
  findHold(key: WalletKey, reservationId: string): Promise<StoredHold | undefined>;
  listEvents(key: WalletKey, afterVersion: number, limit: number): Promise<readonly StoredWalletEvent[]>;
  getBalance(key: WalletKey): Promise<Balance | undefined>;
  /** Wallets whose housekeeping is due at `now`, oldest due first, with when each fell due. */
  dueWallets(now: Date, limit: number): Promise<readonly { readonly key: WalletKey; readonly dueAt: Date }[]>;
}
export const WalletStore = token<WalletStore>("WalletStore");

/** Tells watchers (in this process and, through the database, in others) that a wallet changed. */
export interface WalletChangeFeed {
  publish(key: WalletKey, version: number): void;
  subscribe(key: WalletKey, onChange: (version: number) => void): () => void;
}
export const WalletChangeFeed = token<WalletChangeFeed>("WalletChangeFeed");
