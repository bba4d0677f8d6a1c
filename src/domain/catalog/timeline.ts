/**
 * Effective-dated things (cost versions, plan versions, subscriptions) share one rule: the entry
 * in force at `at` is the last one whose start is at or before `at`. Entries are kept sorted by
 * start, ascending.
 */
export function inForceAt<T>(entries: readonly T[], start: (entry: T) => Date, at: Date): T | undefined {
  let found: T | undefined;
  for (const entry of entries) {
    if (start(entry).getTime() <= at.getTime()) found = entry;
    else break;
  }
  return found;
}
