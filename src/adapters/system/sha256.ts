import { createHash, hash } from "node:crypto";

// One-shot hashing where Node has it (20.12+): noticeably cheaper than a Hash object per call,
// and these run for every usage record written and every call authenticated.
const oneShot = typeof hash === "function";

/** SHA-256 of the UTF-8 text (or of the bytes), as lowercase hex. */
export const sha256Hex = (text: string | Uint8Array): string =>
  oneShot ? hash("sha256", text, "hex") : typeof text === "string" ? createHash("sha256").update(text, "utf8").digest("hex") : createHash("sha256").update(text).digest("hex");

/** SHA-256 of the UTF-8 text, as bytes. */
export const sha256Bytes = (text: string): Uint8Array => new Uint8Array(oneShot ? hash("sha256", text, "buffer") : createHash("sha256").update(text, "utf8").digest());
