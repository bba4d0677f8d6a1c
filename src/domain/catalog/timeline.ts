/**
 * Effective-dated things (cost versions, plan versions, subscriptions) share one rule: the entry
 * in force at `at` is the last one whose start is at or before `at`. Entries are kept sorted by
 * start, ascending.
 */
export function inForceAt<T>(entries: readonly T[], start: (entry: T) => Date, at: Date): T | undefined {
  return inForceSpanAt(entries, start, at)?.entry;
}

/** An entry in force and the stretch [from, until) of instants (epoch ms) at which it is. */
export type InForceSpan<T> = { readonly entry: T; readonly from: number; readonly until: number };

/**
 * The entry in force at `at` by inForceAt's rule, with the stretch around `at` over which that
 * rule picks the same entry: from the latest start among it and the entries before it, until
 * the start of the entry after it (which is later than `at`, or the walk would have taken it).
 */
export function inForceSpanAt<T>(entries: readonly T[], start: (entry: T) => Date, at: Date): InForceSpan<T> | undefined {
  const t = at.getTime();
  let found: T | undefined;
  let from = -Infinity;
  let until = Infinity;
  for (const entry of entries) {
    const s = start(entry).getTime();
    if (s > t) {
      until = s;
      break;
    }
    found = entry;
    from = Math.max(from, s);
  }
  return found === undefined ? undefined : { entry: found, from, until };
}
