import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { sortStrings } from "../../../../src/domain/collections/sort-strings.js";
import { emptyExpiryIndex, expiryAdd, expiryDue, expiryFirst, expiryHas, expiryLast, expiryRemove, expirySize, type ExpiryIndex } from "../../../../src/domain/collections/expiry-index.js";
import { PersistentMap } from "../../../../src/domain/collections/persistent-map.js";

const key = fc.oneof(fc.constantFrom("a", "b", "r1", "r2", "constructor", "__proto__", ""), fc.string({ maxLength: 6 }));
type MapOp = { kind: "set"; key: string; value: number } | { kind: "delete"; key: string };
const mapOp: fc.Arbitrary<MapOp> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), key, value: fc.integer() }),
  fc.record({ kind: fc.constant("delete" as const), key }),
);

describe("PersistentMap, for any sequence of sets and deletes", () => {
  it("holds exactly what a Map would", () => {
    fc.assert(
      fc.property(fc.array(mapOp, { maxLength: 300 }), (ops) => {
        let map = PersistentMap.empty<number>();
        const model = new Map<string, number>();
        for (const op of ops) {
          if (op.kind === "set") {
            map = map.set(op.key, op.value);
            model.set(op.key, op.value);
          } else {
            map = map.delete(op.key);
            model.delete(op.key);
          }
        }
        expect(map.size).toBe(model.size);
        for (const [k, v] of model) expect(map.get(k)).toBe(v);
        expect(new Map(map.entries())).toEqual(model);
        const seen: string[] = [];
        map.forEach((_, k) => seen.push(k));
        expect(seen.sort()).toEqual([...model.keys()].sort());
      }),
      { numRuns: 300 },
    );
  });

  it("never changes a version that was already handed out", () => {
    fc.assert(
      fc.property(fc.array(mapOp, { maxLength: 100 }), (ops) => {
        const versions: { map: PersistentMap<number>; model: Map<string, number> }[] = [];
        let map = PersistentMap.empty<number>();
        let model = new Map<string, number>();
        for (const op of ops) {
          map = op.kind === "set" ? map.set(op.key, op.value) : map.delete(op.key);
          model = new Map(model);
          if (op.kind === "set") model.set(op.key, op.value);
          else model.delete(op.key);
          versions.push({ map, model });
        }
        for (const v of versions) expect(new Map(v.map.entries())).toEqual(v.model);
      }),
      { numRuns: 100 },
    );
  });

  it("grows past many levels and shrinks back, as a Map would", () => {
    // Thousands of keys split buckets into deeper branches; deleting most folds them back.
    fc.assert(
      fc.property(fc.integer({ min: 500, max: 5000 }), fc.integer({ min: 0, max: 100 }), (n, keepPercent) => {
        let map = PersistentMap.empty<number>();
        const model = new Map<string, number>();
        for (let i = 0; i < n; i++) {
          map = map.set(`rsv.${i}`, i);
          model.set(`rsv.${i}`, i);
        }
        for (let i = 0; i < n; i++) {
          if ((i * 37) % 100 < keepPercent) continue;
          map = map.delete(`rsv.${i}`);
          model.delete(`rsv.${i}`);
        }
        expect(map.size).toBe(model.size);
        for (let i = 0; i < n; i++) expect(map.get(`rsv.${i}`)).toBe(model.get(`rsv.${i}`));
        expect(new Map(map.entries())).toEqual(model);
        expect([...PersistentMap.from(map.entries()).keys()]).toEqual([...map.keys()]);
      }),
      { numRuns: 20 },
    );
  });

  it("rebuilt from its own entries, iterates in the same order", () => {
    fc.assert(
      fc.property(fc.array(mapOp, { maxLength: 200 }), (ops) => {
        let map = PersistentMap.empty<number>();
        for (const op of ops) map = op.kind === "set" ? map.set(op.key, op.value) : map.delete(op.key);
        expect([...PersistentMap.from(map.entries()).keys()]).toEqual([...map.keys()]);
      }),
    );
  });
});

type IndexOp = { kind: "add" | "remove"; at: number; id: string };
const indexOp: fc.Arbitrary<IndexOp> = fc.record({
  kind: fc.constantFrom("add" as const, "add" as const, "remove" as const),
  at: fc.integer({ min: 0, max: 50 }),
  id: fc.constantFrom("a", "b", "c", "d", "e", "f", "g"),
});

/** The entries of an index in order. */
const expiryEntries = (t: ExpiryIndex, into: { at: number; id: string }[] = []): { at: number; id: string }[] => {
  if (t !== undefined) {
    expiryEntries(t.left, into);
    into.push({ at: t.at, id: t.id });
    expiryEntries(t.right, into);
  }
  return into;
};

describe("ExpiryIndex, for any sequence of additions and removals", () => {
  it("answers what is due exactly as a sorted list would, earliest first", () => {
    fc.assert(
      fc.property(fc.array(indexOp, { maxLength: 200 }), fc.integer({ min: -1, max: 51 }), (ops, until) => {
        let index: ExpiryIndex = emptyExpiryIndex;
        const model = new Set<string>();
        for (const op of ops) {
          const k = `${String(op.at).padStart(3, "0")}|${op.id}`;
          if (op.kind === "add") {
            index = expiryAdd(index, op.at, op.id);
            model.add(k);
          } else {
            index = expiryRemove(index, op.at, op.id);
            model.delete(k);
          }
        }
        const sorted = [...model].sort();
        expect(expirySize(index)).toBe(sorted.length);
        expect(expiryFirst(index)).toBe(sorted.length ? Number(sorted[0]!.split("|")[0]) : undefined);
        const last = sorted[sorted.length - 1];
        expect(expiryLast(index)).toEqual(last === undefined ? undefined : expect.objectContaining({ at: Number(last.split("|")[0]), id: last.split("|")[1] }));
        expect(expiryDue(index, until)).toEqual(sorted.filter((k) => Number(k.split("|")[0]) <= until).map((k) => k.split("|")[1]));
        for (const k of sorted) expect(expiryHas(index, Number(k.split("|")[0]), k.split("|")[1]!)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("has one shape for one set of entries, whatever order they were added and removed in", () => {
    fc.assert(
      fc.property(fc.array(indexOp, { maxLength: 120 }), fc.integer(), (ops, seed) => {
        let index: ExpiryIndex = emptyExpiryIndex;
        for (const op of ops) index = op.kind === "add" ? expiryAdd(index, op.at, op.id) : expiryRemove(index, op.at, op.id);
        // The same final entries, added afresh in a shuffled order.
        const entries = expiryEntries(index);
        const shuffled = entries.map((e, i) => ({ e, k: (Math.imul(i + 1, 0x9e3779b1) ^ seed) >>> 0 })).sort((a, b) => a.k - b.k);
        let rebuilt: ExpiryIndex = emptyExpiryIndex;
        for (const { e } of shuffled) rebuilt = expiryAdd(rebuilt, e.at, e.id);
        expect(rebuilt).toEqual(index);
      }),
      { numRuns: 300 },
    );
  });

  it("copies only the path to a new latest entry, sharing every other node", () => {
    let index: ExpiryIndex = emptyExpiryIndex;
    for (let i = 0; i < 10_000; i++) index = expiryAdd(index, i, `r${i}`);
    const nodes = (t: ExpiryIndex, into = new Set<object>()): Set<object> => {
      if (t !== undefined) {
        into.add(t);
        nodes(t.left, into);
        nodes(t.right, into);
      }
      return into;
    };
    const old = nodes(index);
    const next = expiryAdd(index, 10_000, "r10000");
    const fresh = [...nodes(next)].filter((n) => !old.has(n)).length;
    const depth = (t: ExpiryIndex): number => (t === undefined ? 0 : 1 + Math.max(depth(t.left), depth(t.right)));
    expect(fresh).toBeLessThanOrEqual(depth(next));
    expect(expirySize(next)).toBe(10_001);
  });

  it("stays shallow with ten thousand entries added in time order", () => {
    let index: ExpiryIndex = emptyExpiryIndex;
    for (let i = 0; i < 10_000; i++) index = expiryAdd(index, i, `r${i}`);
    const depth = (t: ExpiryIndex): number => (t === undefined ? 0 : 1 + Math.max(depth(t.left), depth(t.right)));
    expect(depth(index)).toBeLessThan(60);
    for (let i = 0; i < 9_990; i++) index = expiryRemove(index, i, `r${i}`);
    expect(expiryDue(index, 20_000)).toEqual(Array.from({ length: 10 }, (_, i) => `r${9_990 + i}`));
  });
});

describe("sortStrings, for any array of strings", () => {
  it("orders exactly as the built-in sort does, short arrays and long ones", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4, unit: "binary" }), fc.constantFrom("input_tokens", "output_tokens", "cached_input_tokens")), { maxLength: 40 }), (keys) => {
        expect(sortStrings([...keys])).toEqual([...keys].sort());
      }),
      { numRuns: 500 },
    );
  });
});
