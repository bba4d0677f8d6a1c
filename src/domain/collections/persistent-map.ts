/**
 * An immutable map from strings to values whose updates cost a few small array copies instead
 * of a copy of the whole map.
 *
 * Aggregate state is replaced, never mutated, on every event (`evolve`). A wallet with hundreds
 * of open holds copied as a `Map` on each event spent most of its time copying. This is a hash
 * array mapped trie: branches of 32 slots indexed by successive 5-bit slices of the key's hash,
 * leaves that are small buckets of entries. A `set` copies one branch per level (about
 * log32(n) of them) and one bucket of at most `bucketMax` entries, and shares everything else
 * with the map it came from. A fixed-depth trie was tried first: at 100k+ open holds (callers
 * that reserve without settling) its buckets grew to hundreds of entries and each command
 * scanned and copied one.
 *
 * The shape is a function of the keys alone (a node is a branch exactly when more than
 * `bucketMax` keys fall under it), so iteration order (trie order, then order of insertion
 * within a bucket) is deterministic for a given history, and a map rebuilt from its own
 * entries iterates in the same order: snapshots and replay agree.
 */
type Entry<V> = readonly [key: string, value: V];
type Bucket<V> = readonly Entry<V>[];

class Branch<V> {
  constructor(
    readonly slots: readonly (Branch<V> | Bucket<V> | undefined)[],
    /** Entries under this branch. */
    readonly size: number,
  ) {}
}
type Slot<V> = Branch<V> | Bucket<V> | undefined;

const bitsPerLevel = 5;
const width = 1 << bitsPerLevel;
/** Most entries a leaf holds before it becomes a branch (unless the hash bits are used up). */
const bucketMax = 8;
/** Deepest level: 32 hash bits in 5-bit slices give levels 0..6 (the last has 2 bits). */
const levelMax = 6;

const emptySlots: readonly Slot<never>[] = Object.freeze(new Array<undefined>(width).fill(undefined));
const emptyBranch = new Branch<never>(emptySlots, 0);

/** FNV-1a over UTF-16 code units: fast, and spreads short similar ids ("r1", "r2") well. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const indexAt = (h: number, level: number): number => (h >>> (level * bitsPerLevel)) & (width - 1);

const sizeOf = <V>(slot: Slot<V>): number => (slot === undefined ? 0 : slot instanceof Branch ? slot.size : slot.length);

function withSlot<V>(branch: Branch<V>, i: number, slot: Slot<V>, sizeDelta: number): Branch<V> {
  const slots = branch.slots.slice();
  slots[i] = slot;
  return new Branch(slots, branch.size + sizeDelta);
}

/** A bucket that outgrew `bucketMax`, spread over a branch one level down. */
function split<V>(bucket: Bucket<V>, level: number): Branch<V> {
  const slots: (Entry<V>[] | undefined)[] = new Array<undefined>(width).fill(undefined);
  for (const entry of bucket) {
    const i = indexAt(hash(entry[0]), level);
    (slots[i] ??= []).push(entry);
  }
  let branch = new Branch<V>(slots, bucket.length);
  // Keys that still share a slot may need another level (rare: a full bucket's worth on one slot).
  slots.forEach((s, i) => {
    if (s && s.length > bucketMax && level < levelMax) branch = withSlot(branch, i, split(s, level + 1), 0);
  });
  return branch;
}

/** The entries of a slot in iteration order. */
function collect<V>(slot: Slot<V>, into: Entry<V>[]): Entry<V>[] {
  if (slot === undefined) return into;
  if (slot instanceof Branch) for (const s of slot.slots) collect(s, into);
  else for (const e of slot) into.push(e);
  return into;
}

export class PersistentMap<V> implements Iterable<Entry<V>> {
  private constructor(private readonly root: Branch<V>) {}

  private static readonly emptyMap = new PersistentMap<never>(emptyBranch);

  /** Number of entries. */
  get size(): number {
    return this.root.size;
  }

  static empty<V>(): PersistentMap<V> {
    return PersistentMap.emptyMap as PersistentMap<V>;
  }

  static from<V>(entries: Iterable<readonly [string, V]>): PersistentMap<V> {
    let map = PersistentMap.empty<V>();
    for (const [k, v] of entries) map = map.set(k, v);
    return map;
  }

  get(key: string): V | undefined {
    const h = hash(key);
    let slot: Slot<V> = this.root;
    for (let level = 0; slot instanceof Branch; level++) slot = slot.slots[indexAt(h, level)];
    if (slot === undefined) return undefined;
    for (const entry of slot) if (entry[0] === key) return entry[1];
    return undefined;
  }

  has(key: string): boolean {
    const h = hash(key);
    let slot: Slot<V> = this.root;
    for (let level = 0; slot instanceof Branch; level++) slot = slot.slots[indexAt(h, level)];
    return slot !== undefined && slot.some((entry) => entry[0] === key);
  }

  set(key: string, value: V): PersistentMap<V> {
    const next = setIn(this.root, 0, hash(key), key, value);
    return next === this.root ? this : new PersistentMap(next);
  }

  delete(key: string): PersistentMap<V> {
    const next = deleteIn(this.root, 0, hash(key), key);
    return next === this.root ? this : new PersistentMap(next as Branch<V>);
  }

  /** Calls `f` for every entry; cheaper than the iterators on hot paths. */
  forEach(f: (value: V, key: string) => void): void {
    const walk = (slot: Slot<V>): void => {
      if (slot === undefined) return;
      if (slot instanceof Branch) for (const s of slot.slots) walk(s);
      else for (const entry of slot) f(entry[1], entry[0]);
    };
    walk(this.root);
  }

  *entries(): IterableIterator<Entry<V>> {
    yield* collect(this.root, []);
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<Entry<V>> {
    return this.entries();
  }
}

function setIn<V>(branch: Branch<V>, level: number, h: number, key: string, value: V): Branch<V> {
  const i = indexAt(h, level);
  const slot = branch.slots[i];
  if (slot === undefined) return withSlot(branch, i, [[key, value]], 1);
  if (slot instanceof Branch) {
    const child = setIn(slot, level + 1, h, key, value);
    return child === slot ? branch : withSlot(branch, i, child, child.size - slot.size);
  }
  const at = slot.findIndex((entry) => entry[0] === key);
  if (at >= 0) {
    if (slot[at]?.[1] === value) return branch;
    const copy = slot.slice();
    copy[at] = [key, value];
    return withSlot(branch, i, copy, 0);
  }
  const grown: Bucket<V> = [...slot, [key, value]];
  return withSlot(branch, i, grown.length > bucketMax && level < levelMax ? split(grown, level + 1) : grown, 1);
}

/** The slot without `key`; a branch left with `bucketMax` entries or fewer folds back into a bucket. */
function deleteIn<V>(branch: Branch<V>, level: number, h: number, key: string): Slot<V> {
  const i = indexAt(h, level);
  const slot = branch.slots[i];
  if (slot === undefined) return branch;
  let next: Slot<V>;
  if (slot instanceof Branch) {
    next = deleteIn(slot, level + 1, h, key);
    if (next === slot) return branch;
  } else {
    const at = slot.findIndex((entry) => entry[0] === key);
    if (at < 0) return branch;
    next = slot.length === 1 ? undefined : slot.filter((_, j) => j !== at);
  }
  const shrunk = withSlot(branch, i, next, sizeOf(next) - sizeOf(slot));
  // The root stays a branch; any other branch is one only while it holds more than a bucket.
  if (level > 0 && shrunk.size <= bucketMax) return shrunk.size === 0 ? undefined : collect(shrunk, []);
  return shrunk;
}
