import { timingSafeEqual } from "node:crypto";
import { sha256Bytes } from "./sha256.js";
import type { SecretHasher } from "../../application/ports/tenant-repository.js";

/**
 * API key secrets are 256 random bits, so a fast hash is enough: there is nothing to brute-force
 * that a slow password hash would protect. Comparison is constant-time.
 */
export class Sha256SecretHasher implements SecretHasher {
  hash(secret: string): Uint8Array {
    return sha256Bytes(secret);
  }
  equal(a: Uint8Array, b: Uint8Array): boolean {
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
