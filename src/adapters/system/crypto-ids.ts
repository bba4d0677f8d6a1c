import { randomBytes } from "node:crypto";
import type { Ids } from "../../application/ports/ids.js";

/** 80 random bits per id: collisions are not a practical concern, and ids stay short. */
export class CryptoIds implements Ids {
  newId(prefix: string): string {
    return `${prefix}_${randomBytes(10).toString("hex")}`;
  }
  newSecret(bytes: number): string {
    return randomBytes(bytes).toString("base64url");
  }
}
