import { createHash, hash, timingSafeEqual } from "node:crypto";
import type { SecretHasher } from "../../application/ports/tenant-repository.js";

/**
 * API key secrets are 256 random bits, so a fast hash is enough: there is nothing to brute-force
 * that a slow password hash would protect. Comparison is constant-time.
 */
export class Sha256SecretHasher implements SecretHasher {
  hash(secret: string): Uint8Array {
    // Every call authenticates with this: one-shot hashing where Node has it (20.12+) spares a Hash object.
    return new Uint8Array(typeof hash === "function" ? hash("sha256", secret, "buffer") : createHash("sha256").update(secret, "utf8").digest());
  }
  equal(a: Uint8Array, b: Uint8Array): boolean {
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
