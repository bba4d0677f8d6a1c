/**
 * Bounds how much ingestion a process works on at once, counted in events. Every event a call
 * has in progress keeps its parsed fields, prices and records alive until the call's append
 * lands, and the young-generation collector copies whatever is alive each time it runs (its
 * helper threads took a third of a core during ingestion). In alternating in-process runs (80
 * calls of 1,000 events, server Postgres) four calls in progress ingested 25.3k and 25.5k
 * events/s against 27.5k-29.5k with two or three, and Postgres spent 28-30 µs an event
 * against 24-26.
 *
 * Two calls are always let in whatever their size, so one call's events are priced while the
 * other's append is in Postgres and neither side waits for the other. Beyond two, a call is let
 * in only while the events in progress, its own included, stay within `eventsMax`: many small
 * calls run side by side, large ones take turns. Calls are let in in the order they arrived, so
 * a large call is not overtaken forever by small ones. A waiting call holds only its request.
 */
export class IngestionGate {
  private calls = 0;
  private events = 0;
  private readonly waiting: { readonly size: number; readonly enter: () => void }[] = [];

  constructor(
    private readonly eventsMax: number,
    /** Calls let in whatever their size: two keep the service and Postgres both busy. */
    private readonly callsAlwaysAdmitted = 2,
  ) {
    if (!Number.isSafeInteger(eventsMax) || eventsMax < 1) throw new Error(`eventsMax must be a positive integer, got ${eventsMax}`);
    if (!Number.isSafeInteger(callsAlwaysAdmitted) || callsAlwaysAdmitted < 1) throw new Error(`callsAlwaysAdmitted must be a positive integer, got ${callsAlwaysAdmitted}`);
  }

  /** Waits for a turn for a call of `size` events; the returned function ends the turn (once). */
  async enter(size: number): Promise<() => void> {
    if (this.waiting.length === 0 && this.fits(size)) this.take(size);
    else await new Promise<void>((resolve) => this.waiting.push({ size, enter: resolve }));
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.calls -= 1;
      this.events -= size;
      this.admitWaiting();
    };
  }

  /** Calls and events in progress, and calls waiting (read by the tests). */
  get state(): { readonly calls: number; readonly events: number; readonly waiting: number } {
    return { calls: this.calls, events: this.events, waiting: this.waiting.length };
  }

  private fits(size: number): boolean {
    return this.calls < this.callsAlwaysAdmitted || this.events + size <= this.eventsMax;
  }

  private take(size: number): void {
    this.calls += 1;
    this.events += size;
  }

  /** Lets in waiting calls from the front, in order, while they fit; taken here, before they resume. */
  private admitWaiting(): void {
    for (let next = this.waiting[0]; next && this.fits(next.size); next = this.waiting[0]) {
      this.waiting.shift();
      this.take(next.size);
      next.enter();
    }
  }
}
