import { balanceOf, nextDueAt } from "../../domain/wallet/balance.js";
import type { WalletEvent } from "../../domain/wallet/events.js";
import { decideAndEvolve, type WalletCommand, type WalletRejection } from "../../domain/wallet/wallet.decide.js";
import { initialWallet, walletSize, type Wallet } from "../../domain/wallet/wallet.js";
import { err, ok, type Result } from "../../domain/result.js";
import type { Clock } from "../ports/clock.js";
import { emptyLogHead, type LogHead, type UsageLogHasher, type UsageRecord } from "../ports/usage-log.js";
import type { AppendPart, PartOutcome, TakenKeys, WalletChangeFeed, WalletKey, WalletStore } from "../ports/wallet-store.js";

/**
 * What one job did: its own events, and what its caller asked to see of the wallet right after
 * them (`Planned.observe`).
 */
export type WalletOutcome<V> = { readonly events: readonly WalletEvent[]; readonly view: V };

/**
 * What a job wants done, decided against the wallet as the single writer holds it: commands,
 * decided in order and kept all or none (none, to just read the state in order with other
 * writes), and the usage records to write atomically with their events.
 */
export type Planned<V> = {
  readonly commands: readonly WalletCommand[];
  /** The records, or how to make them from the events the commands produced. */
  readonly records: readonly UsageRecord[] | ((events: readonly WalletEvent[]) => readonly UsageRecord[]);
  /**
   * What the caller needs of the wallet right after its commands (a balance, a hold), taken
   * when they are decided. The writer keeps this, not the wallet, until the append lands: a
   * batch's wallets after each of its commands, held until answered, kept every intermediate
   * copy of the state alive, and on one hot wallet at 256 callers that was about a sixth of
   * what each young-generation collection had to copy.
   */
  readonly observe: (after: Wallet) => V;
};

/** An `observe` for callers that need nothing of the wallet beyond the events. */
export const observeNothing = (): undefined => undefined;

/**
 * How a job ended. "already-recorded": one of its usage records' event ids, or one of its new
 * holds' reservation ids, was written by someone else meanwhile (a retry racing the original);
 * nothing of the job was written, and the caller should look up what was.
 */
export type JobResult<V> = { readonly kind: "decided"; readonly result: Result<WalletOutcome<V>, WalletRejection> } | { readonly kind: "already-recorded" };

export type WalletWriterOptions = {
  /** Fewest events between two snapshots (more when the wallet's state is bigger than this). */
  readonly snapshotEvery: number;
  /** Warning lead time for CREDITS_EXPIRING, used to schedule housekeeping. */
  readonly expiryWarningLeadMs: number;
  /** Most commands of one wallet decided into one append. */
  readonly batchMax: number;
  /** Wallet states kept in memory. */
  readonly cachedWalletsMax: number;
  /** Appends (each covering many wallets) in flight at once. */
  readonly flushesMax?: number;
  /** Appends of one wallet in flight at once (each decided on the one before). */
  readonly depthMax?: number;
  /** Most wallets in one append. */
  readonly partsMax?: number;
  /** Most usage records in one append. */
  readonly recordsMax?: number;
  /** Prefix of the tokens this writer stamps its appends with; unique per process. */
  readonly tokenPrefix?: string;
};

/** Raised when the store stays contended past every retry, or fails: callers see UNAVAILABLE. */
export class WalletUnavailableError extends Error {
  override readonly name = "WalletUnavailableError";
}

/** Fewest queued commands of one wallet worth splitting over two appends (see `pump`). */
const splitQueueMin = 8;

/** Rounds of reload-and-decide after losing a version race to another process. */
const conflictRoundsMax = 8;

type Job = {
  readonly plan: (w: Wallet) => Planned<unknown>;
  readonly resolve: (r: JobResult<unknown>) => void;
  readonly reject: (error: unknown) => void;
  rounds: number;
};

type Answer = {
  readonly job: Job;
  readonly result: Result<WalletOutcome<unknown>, WalletRejection>;
  /** Unique keys it writes: its records' event ids and its new holds' reservation ids. */
  readonly keys: { readonly eventIds: readonly string[]; readonly reservationIds: readonly string[] };
};

const noKeys = { eventIds: [], reservationIds: [] };
const noRecords: readonly UsageRecord[] = [];

type Batch = {
  readonly seq: number;
  readonly answers: readonly Answer[];
  readonly after: Durable;
  /** Whether anything is written (otherwise it only waits for the batches before it). */
  readonly writes: boolean;
};

type Durable = {
  readonly wallet: Wallet;
  readonly token: string;
  readonly log: LogHead;
  /** Version of the latest snapshot written (or loaded from). */
  readonly snapshotVersion: number;
};

type Slot = {
  readonly key: WalletKey;
  readonly id: string;
  status: "unloaded" | "loading" | "ready";
  /** Where this writer's decisions have taken the wallet (ahead of `durable` while appends fly). */
  head: Durable;
  /** What is known to be written. */
  durable: Durable;
  queue: Job[];
  inFlight: Batch[];
  /** Set when an append of this wallet failed: later ones fail too; reload once all have landed. */
  broken: boolean;
  /** Jobs of failed appends, by batch, to decide again after the reload. */
  redo: { seq: number; jobs: Job[] }[];
  nextSeq: number;
  /** Sequence number of the newest batch known to be written. */
  durableSeq: number;
};

const keyOf = (k: WalletKey): string => `${k.tenantId}\u0000${k.walletId}`;

/** A part refused because some of its unique keys were already written. */
type Taken = { readonly taken: TakenKeys };

/**
 * Whether the answer writes one of the taken keys. When the database named none of the part's
 * keys (the collision was inside the part itself), every answer writing keys is concerned.
 */
function touches(a: Answer, taken: TakenKeys): boolean {
  const writesKeys = a.keys.eventIds.length > 0 || a.keys.reservationIds.length > 0;
  if (taken.eventIds.size === 0 && taken.reservationIds.size === 0) return writesKeys;
  return a.keys.eventIds.some((id) => taken.eventIds.has(id)) || a.keys.reservationIds.some((id) => taken.reservationIds.has(id));
}

/**
 * The single writer of every wallet in this process, with group commit across wallets.
 *
 * Commands for one wallet queue in its slot. A flush takes the queued commands of every ready
 * wallet, decides each wallet's commands in order against the state this writer holds for it
 * (each caller gets its own answer: events or rejection), and appends everything, for all
 * wallets, in one statement. N concurrent commands cost one round trip, not N. While an append
 * is in flight the next flush can already decide on top of it (up to `depthMax` deep per
 * wallet), so deciding overlaps with the database's work.
 *
 * Correctness does not depend on any of this: each wallet's part of an append applies only if
 * the wallet is still where the part expects it (version and the token of the last append), so
 * an append that lost a race to another process, or was decided on top of an append that
 * failed, writes nothing; its commands are then decided again on a fresh load.
 */
export class WalletWriter {
  private readonly slots = new Map<string, Slot>();
  private readonly ready = new Set<Slot>();
  private flushing = 0;
  private pumpScheduled = false;
  /** The slot last moved to the end of `slots` (the most recently used). */
  private lastUsed: Slot | undefined;
  private tokens = 0;
  private readonly flushesMax: number;
  private readonly depthMax: number;
  private readonly partsMax: number;
  private readonly recordsMax: number;
  private readonly tokenPrefix: string;

  constructor(
    private readonly store: WalletStore,
    private readonly changes: WalletChangeFeed,
    private readonly clock: Clock,
    private readonly options: WalletWriterOptions,
    private readonly chainer?: UsageLogHasher,
  ) {
    this.flushesMax = options.flushesMax ?? 2;
    this.depthMax = options.depthMax ?? 2;
    this.partsMax = options.partsMax ?? 1000;
    this.recordsMax = options.recordsMax ?? 20_000;
    this.tokenPrefix = options.tokenPrefix ?? `${clock.now().getTime().toString(36)}.`;
  }

  /**
   * Queues a command for the wallet and resolves with its outcome once it is durable; `observe`
   * picks what the caller needs of the wallet right after it (see `Planned.observe`).
   */
  execute(key: WalletKey, command: WalletCommand): Promise<Result<WalletOutcome<undefined>, WalletRejection>>;
  execute<V>(key: WalletKey, command: WalletCommand, observe: (after: Wallet) => V): Promise<Result<WalletOutcome<V>, WalletRejection>>;
  async execute<V>(key: WalletKey, command: WalletCommand, observe?: (after: Wallet) => V): Promise<Result<WalletOutcome<V | undefined>, WalletRejection>> {
    const commands = [command];
    const done = await this.run(key, () => ({ commands, records: noRecords, observe: observe ?? observeNothing }));
    if (done.kind === "already-recorded") {
      // Only a new hold can collide (commands sent this way carry no records): its reservation
      // id is taken by a hold this wallet no longer remembers.
      return err("RESERVATION_ID_CONFLICT");
    }
    return done.result;
  }

  /**
   * Queues a job: `plan` runs inside the writer, against the wallet's state in order with every
   * other write to it, so what it reads (balance, counters) cannot change before its command is
   * decided. It must be pure and quick.
   */
  run<V>(key: WalletKey, plan: (w: Wallet) => Planned<V>): Promise<JobResult<V>> {
    const slot = this.slotFor(key);
    // The job's result carries the view its own plan's `observe` made, so it is a JobResult<V>.
    const promise = new Promise<JobResult<V>>((resolve, reject) => slot.queue.push({ plan, resolve: resolve as (r: JobResult<unknown>) => void, reject, rounds: 0 }));
    this.wake(slot);
    return promise;
  }

  /**
   * Another process wrote the wallet (its version is now `version`): forget the state held
   * here, unless it is already that recent or appends of ours are in flight (their
   * compare-and-set finds out, and reloads). Fed by the database's change announcements.
   */
  invalidate(key: WalletKey, version: number): void {
    const slot = this.slots.get(keyOf(key));
    if (!slot || slot.status !== "ready" || slot.queue.length > 0 || slot.inFlight.length > 0) return;
    if (slot.durable.wallet.version >= version) return;
    this.slots.delete(slot.id);
  }

  /**
   * The wallet as stored now. For answers that must not rest on what this process last saw
   * (another instance may have written since): a retry's balance, a hold this process does not
   * know. Costs a load unless appends of ours are in flight.
   */
  async fresh(key: WalletKey): Promise<Wallet> {
    const slot = this.slots.get(keyOf(key));
    if (slot && slot.status === "ready" && slot.queue.length === 0 && slot.inFlight.length === 0) this.slots.delete(slot.id);
    return this.current(key);
  }

  /** The wallet as last written, from memory when this process holds it, else from the store. */
  async current(key: WalletKey): Promise<Wallet> {
    const slot = this.slots.get(keyOf(key));
    if (slot && slot.status === "ready") return slot.durable.wallet;
    return (await this.store.load(key)).wallet;
  }

  private slotFor(key: WalletKey): Slot {
    const id = keyOf(key);
    let slot = this.slots.get(id);
    if (slot) {
      // Most recently used last: eviction takes from the front. A hot wallet is already last;
      // moving it anyway cost a delete and an insert in the map on every command.
      if (slot !== this.lastUsed) {
        this.slots.delete(id);
        this.slots.set(id, slot);
        this.lastUsed = slot;
      }
      return slot;
    }
    // Replaced by the loaded state before anything is decided (status "unloaded" until then).
    const unknown: Durable = { wallet: initialWallet, token: "", log: emptyLogHead, snapshotVersion: 0 };
    slot = { key, id, status: "unloaded", head: unknown, durable: unknown, queue: [], inFlight: [], broken: false, redo: [], nextSeq: 1, durableSeq: 0 };
    this.slots.set(id, slot);
    this.lastUsed = slot;
    this.evictIdle();
    return slot;
  }

  private evictIdle(): void {
    if (this.slots.size <= this.options.cachedWalletsMax) return;
    for (const slot of this.slots.values()) {
      if (this.slots.size <= this.options.cachedWalletsMax) break;
      if (slot.queue.length === 0 && slot.inFlight.length === 0 && slot.status !== "loading") this.slots.delete(slot.id);
    }
  }

  /** Moves a slot along: load it if needed, mark it ready to flush, and start flushes. */
  private wake(slot: Slot): void {
    if (slot.status === "unloaded" && slot.queue.length > 0 && slot.inFlight.length === 0) void this.load(slot);
    if (slot.status === "ready" && !slot.broken && slot.queue.length > 0 && slot.inFlight.length < this.depthMax) this.ready.add(slot);
    this.schedulePump();
  }

  /**
   * Starts flushes at the end of the current turn of the event loop rather than at the first
   * command that arrives. When an append lands, every caller it answers sends its next command
   * within the same turn (their continuations run as microtasks); pumping at once would send
   * the first of them alone and make the rest wait for that append. Measured on one hot wallet
   * with 64 callers: two appends in three carried a single command. Deferred, they share one.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private async load(slot: Slot): Promise<void> {
    slot.status = "loading";
    try {
      const loaded = await this.store.load(slot.key);
      slot.head = slot.durable = { wallet: loaded.wallet, token: loaded.token, log: loaded.log, snapshotVersion: loaded.snapshotVersion };
      slot.status = "ready";
    } catch (error) {
      slot.status = "unloaded";
      for (const job of slot.queue.splice(0)) job.reject(error);
    }
    this.wake(slot);
  }

  private pump(): void {
    while (this.flushing < this.flushesMax && this.ready.size > 0) {
      const parts: { part: AppendPart; slot: Slot; batch: Batch }[] = [];
      let records = 0;
      // With nothing in flight, a wallet's queue is split over two appends sent back to back,
      // so its callers fall into two groups: while the database runs one group's append, this
      // writer decides the other's next one. The groups then keep alternating by themselves.
      const split = this.flushing === 0 && this.flushesMax > 1 && this.depthMax > 1;
      // Each wallet once per append: two parts of one wallet in one statement would see the
      // same row and the second could never apply.
      for (const slot of [...this.ready]) {
        if (parts.length >= this.partsMax || records >= this.recordsMax) break;
        this.ready.delete(slot);
        const built = this.decideBatch(slot, split && slot.queue.length >= splitQueueMin ? Math.ceil(slot.queue.length / 2) : this.options.batchMax);
        if (built) {
          parts.push({ part: built.part, batch: built.batch, slot });
          records += built.part.records.length;
        }
        if (slot.queue.length > 0 && slot.inFlight.length < this.depthMax) this.ready.add(slot);
      }
      if (parts.length === 0) continue;
      this.flushing++;
      void this.flush(parts);
    }
  }

  /** Decides the slot's queued jobs on top of its head; returns its append part when it writes. */
  private decideBatch(slot: Slot, limit: number): { part: AppendPart; batch: Batch } | undefined {
    const jobs = slot.queue.splice(0, Math.min(limit, this.options.batchMax));
    const start = slot.head;
    let running = start.wallet;
    const events: WalletEvent[] = [];
    const records: UsageRecord[] = [];
    const answers: Answer[] = [];
    for (const job of jobs) {
      let planned: Planned<unknown>;
      try {
        planned = job.plan(running);
      } catch (error) {
        job.reject(error);
        continue;
      }
      let state = running;
      const jobEvents: WalletEvent[] = [];
      let rejection: WalletRejection | undefined;
      for (const command of planned.commands) {
        const decided = decideAndEvolve(command, state);
        if (!decided.ok) {
          rejection = decided.error;
          break;
        }
        state = decided.value.state;
        for (const e of decided.value.events) jobEvents.push(e);
      }
      if (rejection !== undefined) {
        answers.push({ job, result: err(rejection), keys: noKeys });
        continue;
      }
      let jobRecords: readonly UsageRecord[];
      try {
        jobRecords = typeof planned.records === "function" ? planned.records(jobEvents) : planned.records;
      } catch (error) {
        job.reject(error);
        continue;
      }
      let view: unknown;
      try {
        view = planned.observe(state);
      } catch (error) {
        job.reject(error);
        continue;
      }
      running = state;
      for (const e of jobEvents) events.push(e);
      for (const r of jobRecords) records.push(r);
      const reservationIds: string[] = [];
      for (const e of jobEvents) if (e.type === "FundsReserved") reservationIds.push(e.reservationId);
      answers.push({ job, result: ok({ events: jobEvents, view }), keys: { eventIds: jobRecords.map((r) => r.eventId), reservationIds } });
    }
    const writes = events.length > 0 || records.length > 0;
    if (!writes) {
      const batch: Batch = { seq: slot.nextSeq++, answers, after: start, writes: false };
      if (slot.inFlight.length === 0) this.answer(batch);
      else slot.inFlight.push(batch);
      return undefined;
    }
    if (records.length > 0 && !this.chainer) throw new Error("usage records need a UsageLogHasher");
    const chained = records.length > 0 && this.chainer ? this.chainer.chain(start.log, records) : { chained: [], head: start.log };
    // A snapshot once the events since the last one outnumber both `snapshotEvery` and the
    // entries the snapshot holds: loading then costs at most that much replay on top of the
    // snapshot, and no event pays for more than one snapshot entry written.
    const snapshotDue = running.version - start.snapshotVersion >= Math.max(this.options.snapshotEvery, walletSize(running));
    const token = `${this.tokenPrefix}${(++this.tokens).toString(36)}`;
    const after: Durable = { wallet: running, token, log: chained.head, snapshotVersion: snapshotDue ? running.version : start.snapshotVersion };
    const part: AppendPart = {
      key: slot.key,
      expected: { version: start.wallet.version, token: start.token },
      token,
      events,
      balance: balanceOf(running),
      nextDueAt: nextDueAt(running, this.options.expiryWarningLeadMs),
      snapshot: snapshotDue ? running : undefined,
      records: chained.chained,
      log: chained.head,
    };
    const batch: Batch = { seq: slot.nextSeq++, answers, after, writes: true };
    slot.head = after;
    slot.inFlight.push(batch);
    return { part, batch };
  }

  private async flush(parts: readonly { part: AppendPart; slot: Slot; batch: Batch }[]): Promise<void> {
    try {
      const at = this.clock.now();
      const all = await this.store.append(
        parts.map((p) => p.part),
        at,
      );
      let outcomes: (PartOutcome | Taken)[];
      if (all !== "duplicate") outcomes = [...all];
      else {
        // Some part carries a key someone else wrote meanwhile (a usage event id, a reservation
        // id), and it failed the whole statement. Write the parts one by one so only the one
        // concerned is refused, and find out which of its keys are taken.
        outcomes = [];
        for (const p of parts) {
          const one = parts.length === 1 ? all : await this.store.append([p.part], at);
          outcomes.push(one === "duplicate" ? { taken: await this.store.taken(p.part) } : (one[0] ?? "conflict"));
        }
      }
      parts.forEach((p, i) => this.landed(p.slot, p.batch, outcomes[i] ?? "conflict"));
    } catch (error) {
      for (const p of parts) this.failed(p.slot, p.batch, error);
    } finally {
      this.flushing--;
      this.schedulePump();
    }
  }

  private landed(slot: Slot, batch: Batch, outcome: PartOutcome | Taken): void {
    if (outcome === "written") {
      if (batch.seq > slot.durableSeq) {
        slot.durable = batch.after;
        slot.durableSeq = batch.seq;
      }
      this.removeInFlight(slot, batch);
      this.answer(batch);
      this.changes.publish(slot.key, batch.after.wallet.version);
      // Batches that wrote nothing and waited on this one can answer now.
      while (slot.inFlight[0] && !slot.inFlight[0].writes && !slot.broken) {
        const waiting = slot.inFlight.shift();
        if (waiting) this.answer(waiting);
      }
    } else {
      slot.broken = true;
      const redo: Job[] = [];
      for (const a of batch.answers) {
        if (typeof outcome === "object" && touches(a, outcome.taken)) a.job.resolve({ kind: "already-recorded" });
        else if (++a.job.rounds > conflictRoundsMax) a.job.reject(new WalletUnavailableError(`wallet ${slot.key.walletId} stayed contended through ${conflictRoundsMax} attempts`));
        else redo.push(a.job);
      }
      slot.redo.push({ seq: batch.seq, jobs: redo });
      this.removeInFlight(slot, batch);
    }
    this.afterLanding(slot);
  }

  private failed(slot: Slot, batch: Batch, error: unknown): void {
    slot.broken = true;
    for (const a of batch.answers) a.job.reject(error);
    this.removeInFlight(slot, batch);
    this.afterLanding(slot);
  }

  /** Once a broken wallet has nothing in flight, reload it and decide the failed jobs again, in order. */
  private afterLanding(slot: Slot): void {
    if (slot.broken && slot.inFlight.every((b) => !b.writes)) {
      // Batches that wrote nothing but were decided on a state that did not hold: redo them too.
      for (const b of slot.inFlight.splice(0)) slot.redo.push({ seq: b.seq, jobs: b.answers.map((a) => a.job) });
      const redo = slot.redo.sort((a, b) => a.seq - b.seq).flatMap((r) => r.jobs);
      slot.redo = [];
      slot.queue = [...redo, ...slot.queue];
      slot.broken = false;
      slot.status = "unloaded";
    }
    this.wake(slot);
    if (slot.queue.length === 0 && slot.inFlight.length === 0) this.evictIdle();
  }

  private removeInFlight(slot: Slot, batch: Batch): void {
    const i = slot.inFlight.indexOf(batch);
    if (i >= 0) slot.inFlight.splice(i, 1);
  }

  private answer(batch: Batch): void {
    for (const a of batch.answers) a.job.resolve({ kind: "decided", result: a.result });
  }
}
