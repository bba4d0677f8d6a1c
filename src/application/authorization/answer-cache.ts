/**
 * Recent answers by the caller's idempotency key, so a retry gets the first answer back (a
 * denial included) without deciding again. Bounded and time-limited; the durable record of an
 * allowed request is its hold, which a retry also finds after the answer is forgotten.
 */
export class AnswerCache<T> {
  private readonly entries = new Map<string, { value: T; fingerprint: string; untilMs: number }>();

  constructor(
    private readonly nowMs: () => number,
    private readonly keepMs: number,
    private readonly max: number,
  ) {}

  get(key: string): { value: T; fingerprint: string } | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.untilMs < this.nowMs()) {
      this.entries.delete(key);
      return undefined;
    }
    return hit;
  }

  set(key: string, fingerprint: string, value: T): void {
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, fingerprint, untilMs: this.nowMs() + this.keepMs });
  }
}
