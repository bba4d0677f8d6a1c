/**
 * An immutable map from strings to values whose updates cost a few small array copies instead
 * of a copy of the whole map.
 *
 * Aggregate state is replaced, never mutated, on every event (`evolve`). A wallet with hundreds
 * of open holds copied as a `Map` on each event spent most of its time copying. This is a
 * fixed two-level hash trie: 32 × 32 slots, each a small bucket of entries. A `set` copies one
 * 32-slot root, one 32-slot branch and one bucket (a handful of entries up to ~10k keys), and
 * shares everything else with the map it came from.
 *
 * Iteration order is deterministic for a given history of operations (hash order, then order
 * of insertion within a bucket), which is all replay needs.
 */
type Entry<V> = readonly [key: string, value: V];
type Bucket<V> = readonly Entry<V>[];
type Branch<V> = readonly (Bucket<V> | undefined)[];
type Root<V> = readonly (Branch<V> | undefined)[];

const width = 32;
const emptyRoot: Root<never> = Object.freeze(new Array<undefined>(width).fill(undefined));

/** FNV-1a over UTF-16 code units: fast, and spreads short similar ids ("r1", "r2") well. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const rootIndex = (h: number): number => h >>> 27;
const branchIndex = (h: number): number => (h >>> 22) & 31;

export class PersistentMap<V> implements Iterable<Entry<V>> {
  private constructor(
    private readonly root: Root<V>,
    /** Number of entries. */
    readonly size: number,
  ) {}

  private static readonly emptyMap = new PersistentMap<never>(emptyRoot, 0);

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
    const bucket = this.root[rootIndex(h)]?.[branchIndex(h)];
    if (bucket === undefined) return undefined;
    for (const entry of bucket) if (entry[0] === key) return entry[1];
    return undefined;
  }

  has(key: string): boolean {
    const h = hash(key);
    const bucket = this.root[rootIndex(h)]?.[branchIndex(h)];
    return bucket !== undefined && bucket.some((entry) => entry[0] === key);
  }

  set(key: string, value: V): PersistentMap<V> {
    const h = hash(key);
    const r = rootIndex(h);
    const b = branchIndex(h);
    const branch = this.root[r];
    const bucket = branch?.[b];
    let nextBucket: Bucket<V>;
    let grew = 1;
    const at = bucket === undefined ? -1 : bucket.findIndex((entry) => entry[0] === key);
    if (bucket === undefined) nextBucket = [[key, value]];
    else if (at < 0) nextBucket = [...bucket, [key, value]];
    else {
      if (bucket[at]?.[1] === value) return this;
      const copy = bucket.slice();
      copy[at] = [key, value];
      nextBucket = copy;
      grew = 0;
    }
    return new PersistentMap(this.withBucket(r, b, branch, nextBucket), this.size + grew);
  }

  delete(key: string): PersistentMap<V> {
    const h = hash(key);
    const r = rootIndex(h);
    const b = branchIndex(h);
    const branch = this.root[r];
    const bucket = branch?.[b];
    if (bucket === undefined) return this;
    const at = bucket.findIndex((entry) => entry[0] === key);
    if (at < 0) return this;
    const nextBucket = bucket.length === 1 ? undefined : bucket.filter((_, i) => i !== at);
    return new PersistentMap(this.withBucket(r, b, branch, nextBucket), this.size - 1);
  }

  private withBucket(r: number, b: number, branch: Branch<V> | undefined, bucket: Bucket<V> | undefined): Root<V> {
    const nextBranch = (branch ?? emptyRoot).slice() as (Bucket<V> | undefined)[];
    nextBranch[b] = bucket;
    const nextRoot = this.root.slice() as (Branch<V> | undefined)[];
    nextRoot[r] = nextBranch;
    return nextRoot;
  }

  /** Calls `f` for every entry; cheaper than the iterators on hot paths. */
  forEach(f: (value: V, key: string) => void): void {
    for (const branch of this.root) {
      if (branch === undefined) continue;
      for (const bucket of branch) {
        if (bucket === undefined) continue;
        for (const entry of bucket) f(entry[1], entry[0]);
      }
    }
  }

  *entries(): IterableIterator<Entry<V>> {
    for (const branch of this.root) {
      if (branch === undefined) continue;
      for (const bucket of branch) if (bucket !== undefined) yield* bucket;
    }
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
