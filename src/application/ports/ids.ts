import { token } from "./token.js";

/** Source of fresh identifiers and secrets; tests pass a deterministic one. */
export interface Ids {
  /** A new unique id with a readable prefix, e.g. `ten_…`, `res_…`. */
  newId(prefix: string): string;
  /** `bytes` of cryptographically strong randomness, base64url-encoded. */
  newSecret(bytes: number): string;
}
export const Ids = token<Ids>("Ids");
