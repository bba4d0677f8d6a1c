/**
 * Event ids being recorded by calls in progress in this process. A call that carries an id
 * another call is recording waits for that call to finish before it looks the id up, so two
 * concurrent retries of one event are told apart here (the second finds the first's record)
 * instead of colliding in the database. Across processes the usage log's unique key decides.
 */
export class InFlightIds {
  private readonly running = new Map<string, Promise<void>>();

  /** Waits until no other call holds any of `ids`, then holds them until `release` is called. */
  async acquire(tenantId: string, ids: readonly string[]): Promise<() => void> {
    const keys = [...new Set(ids)].map((id) => `${tenantId}\u0000${id}`);
    for (;;) {
      const busy = keys.map((k) => this.running.get(k)).filter((p): p is Promise<void> => p !== undefined);
      if (busy.length === 0) break;
      await Promise.all(busy);
    }
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    for (const k of keys) this.running.set(k, done);
    return () => {
      for (const k of keys) if (this.running.get(k) === done) this.running.delete(k);
      release();
    };
  }
}
