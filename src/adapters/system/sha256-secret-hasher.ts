import { createHash, timingSafeEqual } from "node:crypto";
import type { SecretHasher } from "../../application/ports/tenant-repository.js";

/**
 * API key secrets are 256 random bits, so a fast hash is enough: there is nothing to brute-force
 * that a slow password hash would protect. Comparison is constant-time.
 */
export class Sha256SecretHasher implements SecretHasher {
  hash(secret: string): Uint8Array {
    return new Uint8Array(createHash("sha256").update(secret, "utf8").digest());
  }
  equal(a: Uint8Array, b: Uint8Array): boolean {
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
