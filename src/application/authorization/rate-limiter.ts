/**
 * Authorizations per second per customer, as a token bucket: up to `perSecond` at once, refilled
 * continuously. Kept in this process: with several instances each enforces the limit for the
 * calls it serves, so route a customer's calls to one instance (as group commit wants anyway)
 * for the limit to be exact.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(private readonly nowMs: () => number) {}

  /** Takes one token if there is one. */
  tryTake(key: string, perSecond: number): boolean {
    if (perSecond <= 0) return true;
    const now = this.nowMs();
    const bucket = this.buckets.get(key) ?? { tokens: perSecond, atMs: now };
    bucket.tokens = Math.min(perSecond, bucket.tokens + ((now - bucket.atMs) / 1000) * perSecond);
    bucket.atMs = now;
    if (this.buckets.size > 100_000) this.buckets.clear(); // bounded; a cleared bucket starts full
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
