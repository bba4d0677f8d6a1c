import { sortStrings } from "../../domain/collections/sort-strings.js";
import { HashTextBuffer } from "./hash-text-buffer.js";
import type { ChainedRecord, LogHead, SubmittedContent, UsageLogHasher, UsageRecord } from "../../application/ports/usage-log.js";

/*
 * The texts hashed here are JSON arrays, byte for byte what JSON.stringify writes for them
 * (stored chains were hashed that way and must keep verifying), but written by hand, piece by
 * piece, into one reused buffer (hash-text-buffer.ts): this runs twice for every usage event
 * ingested (its content fingerprint and its chain link), and on the twenty-odd fields of a
 * record JSON.stringify of a fresh array cost about as much as the SHA-256 over its text and
 * the rest of the hash put together, while a text assembled as a string was mostly garbage.
 */

/**
 * A string map as a JSON array of [key, value] pairs in key order: one text per map, whatever
 * its insertion order.
 */
function pairs(b: HashTextBuffer, m: Readonly<Record<string, string>>): void {
  const keys = sortStrings(Object.keys(m));
  b.char(0x5b);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (i > 0) b.char(0x2c);
    b.char(0x5b).jsonString(k).char(0x2c).jsonString(m[k] ?? "").char(0x5d);
  }
  b.char(0x5d);
}

/**
 * Every field of a record the chain protects, as a JSON array in a fixed order: positional, so
 * the text is canonical by construction. Times as epoch milliseconds: exact, and far cheaper to
 * format than ISO text.
 */
function recordText(b: HashTextBuffer, r: UsageRecord, seq: number): void {
  b.raw('["usage-record-v1",').jsonString(r.tenantId).char(0x2c).jsonString(r.eventId).char(0x2c).jsonString(r.customerId).char(0x2c);
  b.jsonString(r.model).char(0x2c).jsonNumber(r.occurredAt.getTime()).char(0x2c).jsonNumber(r.receivedAt.getTime()).char(0x2c);
  pairs(b, r.quantities);
  b.char(0x2c);
  pairs(b, r.attributes);
  b.char(0x2c).jsonString(r.charge.toString()).char(0x2c).jsonString(r.currency).char(0x2c).jsonString(r.cost.toString()).char(0x2c);
  b.jsonString(r.costCurrency).char(0x2c).jsonString(r.planKey).char(0x2c).jsonNumber(r.planVersion).char(0x2c).jsonNumber(r.costVersion).char(0x2c);
  b.jsonNumber(r.periodStart.getTime()).char(0x2c);
  b.jsonStringOrNull(r.reservationId).char(0x2c).jsonStringOrNull(r.released?.toString()).char(0x2c);
  b.jsonStringOrNull(r.overage?.toString()).char(0x2c).jsonString(r.contentHash).char(0x2c).jsonNumber(seq).char(0x5d);
}

/** What a caller sent, in a fixed order; the time as sent (ISO text), or null when it defaulted. */
function contentText(b: HashTextBuffer, c: SubmittedContent): void {
  b.raw('["usage-content-v1",').jsonString(c.customerId).char(0x2c).jsonString(c.model).char(0x2c);
  b.jsonStringOrNull(c.occurredAt?.toISOString()).char(0x2c);
  pairs(b, c.quantities);
  b.char(0x2c);
  pairs(b, c.attributes);
  b.char(0x2c).jsonStringOrNull(c.reservationId).char(0x5d);
}

/**
 * SHA-256 over canonical text. A record's hash is sha256(previous hash + "\n" + record), the
 * first of a chain following the empty string.
 */
export class Sha256UsageLogHasher implements UsageLogHasher {
  private readonly text = new HashTextBuffer();

  contentHash(c: SubmittedContent): string {
    contentText(this.text.reset(), c);
    return this.text.sha256Hex();
  }

  hashOf(prevHash: string, record: UsageRecord, seq: number): string {
    recordText(this.text.reset().raw(prevHash).char(0x0a), record, seq);
    return this.text.sha256Hex();
  }

  chain(head: LogHead, records: readonly UsageRecord[]): { chained: readonly ChainedRecord[]; head: LogHead } {
    let seq = head.seq;
    let prev = head.hash;
    const chained = records.map((r): ChainedRecord => {
      seq += 1;
      const digest = this.hashOf(prev, r, seq);
      const out: ChainedRecord = { record: r, seq, prevHash: prev, hash: digest };
      prev = digest;
      return out;
    });
    return { chained, head: { seq, hash: prev } };
  }
}

