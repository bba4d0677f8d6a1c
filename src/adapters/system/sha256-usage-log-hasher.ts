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

/** The punctuation of the texts, as the character codes the buffer takes. */
const comma = 0x2c;
const open = 0x5b;
const close = 0x5d;
const newline = 0x0a;

/**
 * A string map as a JSON array of [key, value] pairs in key order: one text per map, whatever
 * its insertion order.
 */
function pairs(b: HashTextBuffer, m: Readonly<Record<string, string>>): void {
  const keys = sortStrings(Object.keys(m));
  b.char(open);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (i > 0) b.char(comma);
    b.char(open).jsonString(k).char(comma).jsonString(m[k] ?? "").char(close);
  }
  b.char(close);
}

/**
 * Every field of a record the chain protects, as a JSON array in a fixed order: positional, so
 * the text is canonical by construction. Times as epoch milliseconds: exact, and far cheaper to
 * format than ISO text.
 */
function recordText(b: HashTextBuffer, r: UsageRecord, seq: number): void {
  b.raw('["usage-record-v1",').jsonString(r.tenantId).char(comma).jsonString(r.eventId).char(comma).jsonString(r.customerId).char(comma);
  b.jsonString(r.model).char(comma).jsonNumber(r.occurredAt.getTime()).char(comma).jsonNumber(r.receivedAt.getTime()).char(comma);
  pairs(b, r.quantities);
  b.char(comma);
  pairs(b, r.attributes);
  b.char(comma).jsonString(r.charge.toString()).char(comma).jsonString(r.currency).char(comma).jsonString(r.cost.toString()).char(comma);
  b.jsonString(r.costCurrency).char(comma).jsonString(r.planKey).char(comma).jsonNumber(r.planVersion).char(comma).jsonNumber(r.costVersion).char(comma);
  b.jsonNumber(r.periodStart.getTime()).char(comma);
  b.jsonStringOrNull(r.reservationId).char(comma).jsonStringOrNull(r.released?.toString()).char(comma);
  b.jsonStringOrNull(r.overage?.toString()).char(comma).jsonString(r.contentHash).char(comma).jsonNumber(seq).char(close);
}

/** What a caller sent, in a fixed order; the time as sent (ISO text), or null when it defaulted. */
function contentText(b: HashTextBuffer, c: SubmittedContent): void {
  b.raw('["usage-content-v1",').jsonString(c.customerId).char(comma).jsonString(c.model).char(comma);
  b.jsonStringOrNull(c.occurredAt?.toISOString()).char(comma);
  pairs(b, c.quantities);
  b.char(comma);
  pairs(b, c.attributes);
  b.char(comma).jsonStringOrNull(c.reservationId).char(close);
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
    recordText(this.text.reset().raw(prevHash).char(newline), record, seq);
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

