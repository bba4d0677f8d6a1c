/**
 * Event ids being recorded by calls in progress in this process. A call that carries an id
 * another call is recording waits for that call to finish before it looks the id up, so two
 * concurrent retries of one event are told apart here (the second finds the first's record)
 * instead of colliding in the database. Across processes the usage log's unique key decides.
 */
export class InFlightIds {
  /**
   * Per tenant, each held id and the release of the call holding it. Keyed by tenant, then by
   * the id itself rather than by one joined string: every call holds all of its ids (1,000 at
   * a time when ingesting), and joined keys were a fresh string each to build and hash.
   */
  private readonly running = new Map<string, Map<string, Promise<void>>>();

  /** Waits until no other call holds any of `ids`, then holds them until `release` is called. */
  async acquire(tenantId: string, ids: readonly string[]): Promise<() => void> {
    for (;;) {
      const held = this.running.get(tenantId);
      if (!held) break;
      const busy = new Set<Promise<void>>();
      for (const id of ids) {
        const holder = held.get(id);
        if (holder) busy.add(holder);
      }
      if (busy.size === 0) break;
      await Promise.all(busy);
    }
    let held = this.running.get(tenantId);
    if (!held) {
      held = new Map();
      this.running.set(tenantId, held);
    }
    const mine = held;
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    for (const id of ids) mine.set(id, done);
    return () => {
      for (const id of ids) if (mine.get(id) === done) mine.delete(id);
      if (mine.size === 0 && this.running.get(tenantId) === mine) this.running.delete(tenantId);
      release();
    };
  }
}
