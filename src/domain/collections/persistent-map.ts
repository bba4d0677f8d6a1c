/**
 * An immutable map from strings to values whose updates cost a few small array copies instead
 * of a copy of the whole map.
 *
 * Aggregate state is replaced, never mutated, on every event (`evolve`). A wallet with hundreds
 * of open holds copied as a `Map` on each event spent most of its time copying. This is a hash
 * array mapped trie: branches of up to 32 slots indexed by successive 5-bit slices of the key's
 * hash, leaves that are small buckets of entries. A `set` copies one branch per level (about
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
/**
 * A leaf: its entries flattened as key, value, key, value… in insertion order. One array per
 * bucket instead of one per entry: a wallet with 100k+ open holds keeps every bucket alive, and
 * a [key, value] pair per entry cost about as much memory as the hold itself.
 */
type Bucket<V> = readonly (string | V)[];

/**
 * A branch keeps only the slots in use, in slot order, with a bitmap of which of the 32 they
 * are. A branch of all 32 slots cost 270 bytes even when a split left it holding nine entries.
 */
class Branch<V> {
  constructor(
    readonly bitmap: number,
    readonly children: readonly Slot<V>[],
    /** Entries under this branch. */
    readonly size: number,
  ) {}
}
type Slot<V> = Branch<V> | Bucket<V>;

const bitsPerLevel = 5;
const width = 1 << bitsPerLevel;
/** Most entries a leaf holds before it becomes a branch (unless the hash bits are used up). */
const bucketMax = 8;
/** Deepest level: 32 hash bits in 5-bit slices give levels 0..6 (the last has 2 bits). */
const levelMax = 6;

const emptyBranch = new Branch<never>(0, Object.freeze([]), 0);

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

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** Position in `children` of slot `i` (whether or not it is in use). */
const positionOf = (bitmap: number, i: number): number => popcount(bitmap & ((1 << i) - 1));

function childAt<V>(branch: Branch<V>, i: number): Slot<V> | undefined {
  const bit = 1 << i;
  return branch.bitmap & bit ? branch.children[positionOf(branch.bitmap, i)] : undefined;
}

const sizeOf = <V>(slot: Slot<V> | undefined): number => (slot === undefined ? 0 : slot instanceof Branch ? slot.size : slot.length / 2);

/** Index of `key` in a bucket (its key's position), or -1. */
function keyIndex<V>(bucket: Bucket<V>, key: string): number {
  for (let j = 0; j < bucket.length; j += 2) if (bucket[j] === key) return j;
  return -1;
}

/**
 * `branch` with slot `i` replaced by `slot` (`undefined` empties it). The children are copied
 * into an array of their new length: a copy grown by `splice` kept spare capacity, and a wallet
 * with 100k+ open holds keeps thousands of branches alive.
 */
function withSlot<V>(branch: Branch<V>, i: number, slot: Slot<V> | undefined, sizeDelta: number): Branch<V> {
  const bit = 1 << i;
  const at = positionOf(branch.bitmap, i);
  const old = branch.children;
  const present = (branch.bitmap & bit) !== 0;
  if (present && slot !== undefined) {
    const children = old.slice();
    children[at] = slot;
    return new Branch(branch.bitmap, children, branch.size + sizeDelta);
  }
  if (!present && slot === undefined) return branch;
  // `new Array(n)` reserves exactly n slots; every one is assigned below.
  const children = new Array<Slot<V>>(present ? old.length - 1 : old.length + 1);
  let k = 0;
  for (let j = 0; j < at; j++) children[k++] = old[j] as Slot<V>;
  if (slot !== undefined) children[k++] = slot;
  for (let j = present ? at + 1 : at; j < old.length; j++) children[k++] = old[j] as Slot<V>;
  return new Branch(present ? branch.bitmap & ~bit : branch.bitmap | bit, children, branch.size + sizeDelta);
}

/** A bucket that outgrew `bucketMax`, spread over a branch one level down. */
function split<V>(bucket: Bucket<V>, level: number): Branch<V> {
  const parts: (string | V)[][] = [];
  for (let j = 0; j < bucket.length; j += 2) {
    const key = bucket[j] as string;
    (parts[indexAt(hash(key), level)] ??= []).push(key, bucket[j + 1] as V);
  }
  let bitmap = 0;
  for (let i = 0; i < width; i++) if (parts[i] !== undefined) bitmap |= 1 << i;
  // The branch's children and each bucket are allocated at their exact length, as in
  // `withSlot`: arrays grown by `push` keep spare room, and the map would keep it too.
  const children = new Array<Slot<V>>(popcount(bitmap));
  let k = 0;
  for (let i = 0; i < width; i++) {
    const part = parts[i];
    if (part === undefined) continue;
    // Keys that still share a slot may need another level (rare: a full bucket's worth on one slot).
    children[k++] = part.length / 2 > bucketMax && level < levelMax ? split(part, level + 1) : part.slice();
  }
  return new Branch<V>(bitmap, children, bucket.length / 2);
}

/** The flattened entries of a slot in iteration order. */
function collect<V>(slot: Slot<V>, into: (string | V)[]): (string | V)[] {
  if (slot instanceof Branch) for (const child of slot.children) collect(child, into);
  else for (const x of slot) into.push(x);
  return into;
}

/** Calls `f` for every entry under `slot`, in iteration order. */
function walk<V>(slot: Slot<V>, f: (value: V, key: string) => void): void {
  if (slot instanceof Branch) for (const child of slot.children) walk(child, f);
  else for (let j = 0; j < slot.length; j += 2) f(slot[j + 1] as V, slot[j] as string);
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
    let slot: Slot<V> | undefined = this.root;
    for (let level = 0; slot instanceof Branch; level++) slot = childAt(slot, indexAt(h, level));
    if (slot === undefined) return undefined;
    const at = keyIndex(slot, key);
    return at < 0 ? undefined : (slot[at + 1] as V);
  }

  has(key: string): boolean {
    const h = hash(key);
    let slot: Slot<V> | undefined = this.root;
    for (let level = 0; slot instanceof Branch; level++) slot = childAt(slot, indexAt(h, level));
    return slot !== undefined && keyIndex(slot, key) >= 0;
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
    walk(this.root, f);
  }

  *entries(): IterableIterator<Entry<V>> {
    const flat = collect(this.root, []);
    for (let j = 0; j < flat.length; j += 2) yield [flat[j] as string, flat[j + 1] as V];
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
  const slot = childAt(branch, i);
  if (slot === undefined) return withSlot(branch, i, [key, value], 1);
  if (slot instanceof Branch) {
    const child = setIn(slot, level + 1, h, key, value);
    return child === slot ? branch : withSlot(branch, i, child, child.size - slot.size);
  }
  const at = keyIndex(slot, key);
  if (at >= 0) {
    if (slot[at + 1] === value) return branch;
    const copy = slot.slice();
    copy[at + 1] = value;
    return withSlot(branch, i, copy, 0);
  }
  const grown = new Array<string | V>(slot.length + 2);
  for (let j = 0; j < slot.length; j++) grown[j] = slot[j] as string | V;
  grown[slot.length] = key;
  grown[slot.length + 1] = value;
  return withSlot(branch, i, grown.length / 2 > bucketMax && level < levelMax ? split(grown, level + 1) : grown, 1);
}

/** The slot without `key`; a branch left with `bucketMax` entries or fewer folds back into a bucket. */
function deleteIn<V>(branch: Branch<V>, level: number, h: number, key: string): Slot<V> | undefined {
  const i = indexAt(h, level);
  const slot = childAt(branch, i);
  if (slot === undefined) return branch;
  let next: Slot<V> | undefined;
  if (slot instanceof Branch) {
    next = deleteIn(slot, level + 1, h, key);
    if (next === slot) return branch;
  } else {
    const at = keyIndex(slot, key);
    if (at < 0) return branch;
    next = slot.length === 2 ? undefined : slot.slice(0, at).concat(slot.slice(at + 2));
  }
  const shrunk = withSlot(branch, i, next, sizeOf(next) - sizeOf(slot));
  // The root stays a branch; any other branch is one only while it holds more than a bucket.
  // (`slice` copies the collected entries to their exact length: pushing left spare capacity.)
  if (level > 0 && shrunk.size <= bucketMax) return shrunk.size === 0 ? undefined : collect(shrunk, []).slice();
  return shrunk;
}
