import { balanceOf, nextDueAt } from "../../domain/wallet/balance.js";
import type { WalletEvent } from "../../domain/wallet/events.js";
import { decide, type WalletCommand, type WalletRejection } from "../../domain/wallet/wallet.decide.js";
import { replay, type Wallet } from "../../domain/wallet/wallet.js";
import { err, ok, type Result } from "../../domain/result.js";
import type { Clock } from "../ports/clock.js";
import type { WalletChangeFeed, WalletKey, WalletStore } from "../ports/wallet-store.js";

/** What one command did: its own events and the wallet right after them. */
export type WalletOutcome = { readonly events: readonly WalletEvent[]; readonly wallet: Wallet };

export type WalletWriterOptions = {
  /** A snapshot is written whenever an append crosses a multiple of this many events. */
  readonly snapshotEvery: number;
  /** Warning lead time for CREDITS_EXPIRING, used to schedule housekeeping. */
  readonly expiryWarningLeadMs: number;
  /** Most commands decided and appended together. */
  readonly batchMax: number;
  /** Wallet states kept in memory. */
  readonly cachedWalletsMax: number;
};

/** Raised when the store stays contended past every retry, or fails: callers see UNAVAILABLE. */
export class WalletUnavailableError extends Error {
  override readonly name = "WalletUnavailableError";
}

/** Rounds of reload-and-decide after losing a version race to another process. */
const conflictRoundsMax = 8;

type Job = {
  readonly command: WalletCommand;
  readonly resolve: (r: Result<WalletOutcome, WalletRejection>) => void;
  readonly reject: (error: unknown) => void;
};

type Queue = { jobs: Job[]; draining: boolean };

const keyOf = (k: WalletKey): string => `${k.tenantId}\u0000${k.walletId}`;

/**
 * The single writer per wallet, with group commit. Commands for one wallet queue here; one
 * drain loop at a time takes everything queued, decides each command in order against the
 * running state (each caller gets its own answer: events or rejection), and appends all
 * resulting events in one transaction. N concurrent commands cost one round trip, not N
 * conflicting ones.
 *
 * Correctness does not depend on this queue: the store's unique (wallet, version) refuses a
 * stale append from another process, and then the batch is reloaded and decided again.
 */
export class WalletWriter {
  private readonly queues = new Map<string, Queue>();
  private readonly states = new Map<string, Wallet>();

  constructor(
    private readonly store: WalletStore,
    private readonly changes: WalletChangeFeed,
    private readonly clock: Clock,
    private readonly options: WalletWriterOptions,
  ) {}

  /** Queues a command for the wallet and resolves with its outcome once it is durable. */
  execute(key: WalletKey, command: WalletCommand): Promise<Result<WalletOutcome, WalletRejection>> {
    const id = keyOf(key);
    let queue = this.queues.get(id);
    if (!queue) {
      queue = { jobs: [], draining: false };
      this.queues.set(id, queue);
    }
    const promise = new Promise<Result<WalletOutcome, WalletRejection>>((resolve, reject) => queue.jobs.push({ command, resolve, reject }));
    if (!queue.draining) void this.drain(key, id, queue);
    return promise;
  }

  /** The current state, from memory when this process wrote last, else from the store. */
  async current(key: WalletKey): Promise<Wallet> {
    return this.states.get(keyOf(key)) ?? this.store.load(key);
  }

  private remember(id: string, wallet: Wallet): void {
    this.states.delete(id);
    if (this.states.size >= this.options.cachedWalletsMax) {
      const oldest = this.states.keys().next().value;
      if (oldest !== undefined) this.states.delete(oldest);
    }
    this.states.set(id, wallet);
  }

  private async drain(key: WalletKey, id: string, queue: Queue): Promise<void> {
    queue.draining = true;
    try {
      while (queue.jobs.length > 0) {
        const batch = queue.jobs.splice(0, this.options.batchMax);
        try {
          await this.commit(key, id, batch);
        } catch (error) {
          this.states.delete(id);
          for (const job of batch) job.reject(error);
        }
      }
    } finally {
      queue.draining = false;
      if (queue.jobs.length === 0) this.queues.delete(id);
      else void this.drain(key, id, queue);
    }
  }

  private async commit(key: WalletKey, id: string, batch: readonly Job[]): Promise<void> {
    for (let round = 1; round <= conflictRoundsMax; round++) {
      const start = this.states.get(id) ?? (await this.store.load(key));
      let running = start;
      const events: WalletEvent[] = [];
      const answers: { job: Job; answer: Result<WalletOutcome, WalletRejection> }[] = [];
      for (const job of batch) {
        const decided = decide(job.command, running);
        if (!decided.ok) {
          answers.push({ job, answer: err(decided.error) });
          continue;
        }
        running = replay(decided.value, running);
        events.push(...decided.value);
        answers.push({ job, answer: ok({ events: decided.value, wallet: running }) });
      }
      if (events.length > 0) {
        const every = this.options.snapshotEvery;
        const snapshotDue = Math.floor(running.version / every) > Math.floor(start.version / every);
        const outcome = await this.store.append(key, start.version, events, this.clock.now(), {
          balance: balanceOf(running),
          nextDueAt: nextDueAt(running, this.options.expiryWarningLeadMs),
          snapshot: snapshotDue ? running : undefined,
        });
        if (outcome === "conflict") {
          // Another process appended first: what we hold is stale. Reload and decide again.
          this.states.delete(id);
          continue;
        }
        this.remember(id, running);
        this.changes.publish(key, running.version);
      } else if (!this.states.has(id)) {
        this.remember(id, start);
      }
      for (const { job, answer } of answers) job.resolve(answer);
      return;
    }
    throw new WalletUnavailableError(`wallet ${key.walletId} stayed contended through ${conflictRoundsMax} attempts`);
  }
}
