import { sortStrings } from "../../domain/collections/sort-strings.js";
import { jsonString as str } from "./json-text.js";
import { sha256Hex as sha256 } from "./sha256.js";
import type { ChainedRecord, LogHead, SubmittedContent, UsageLogHasher, UsageRecord } from "../../application/ports/usage-log.js";

/*
 * The texts hashed here are JSON arrays, byte for byte what JSON.stringify writes for them
 * (stored chains were hashed that way and must keep verifying), but assembled by hand: on the
 * twenty-odd fields of a record, JSON.stringify of a fresh array cost about as much as the
 * SHA-256 over its text and the rest of the hash put together, and this runs twice for every
 * usage event ingested (its content fingerprint and its chain link).
 */

const strOrNull = (s: string | undefined): string => (s === undefined ? "null" : str(s));
/** A number as JSON writes it: integers (times, versions, sequence numbers) as digits; NaN and infinities as null. */
const num = (n: number): string => (Number.isFinite(n) ? String(n) : "null");
/** Decimal text (canonical: digits, sign, point) or null. */
const decimalOrNull = (d: { toString(): string } | undefined): string => (d === undefined ? "null" : str(d.toString()));

/**
 * A string map as a JSON array of [key, value] pairs in key order: one text per map, whatever
 * its insertion order.
 */
function pairs(m: Readonly<Record<string, string>>): string {
  const keys = sortStrings(Object.keys(m));
  if (keys.length === 0) return "[]";
  let out = "";
  for (const k of keys) out += `,[${str(k)},${str(m[k] ?? "")}]`;
  return `[${out.slice(1)}]`;
}

/**
 * Every field of a record the chain protects, as a JSON array in a fixed order: positional, so
 * the text is canonical by construction. Times as epoch milliseconds: exact, and far cheaper to
 * format than ISO text.
 */
const recordText = (r: UsageRecord, seq: number): string =>
  `["usage-record-v1",${str(r.tenantId)},${str(r.eventId)},${str(r.customerId)},${str(r.model)},` +
  `${num(r.occurredAt.getTime())},${num(r.receivedAt.getTime())},${pairs(r.quantities)},${pairs(r.attributes)},` +
  `${str(r.charge.toString())},${str(r.currency)},${str(r.cost.toString())},${str(r.costCurrency)},${str(r.planKey)},` +
  `${num(r.planVersion)},${num(r.costVersion)},${num(r.periodStart.getTime())},${strOrNull(r.reservationId)},` +
  `${decimalOrNull(r.released)},${decimalOrNull(r.overage)},${str(r.contentHash)},${num(seq)}]`;

/** What a caller sent, in a fixed order; the time as sent (ISO text), or null when it defaulted. */
const contentText = (c: SubmittedContent): string =>
  `["usage-content-v1",${str(c.customerId)},${str(c.model)},${c.occurredAt === undefined ? "null" : str(c.occurredAt.toISOString())},` +
  `${pairs(c.quantities)},${pairs(c.attributes)},${strOrNull(c.reservationId)}]`;

/**
 * SHA-256 over canonical text. A record's hash is sha256(previous hash + "\n" + record), the
 * first of a chain following the empty string.
 */
export class Sha256UsageLogHasher implements UsageLogHasher {
  contentHash(c: SubmittedContent): string {
    return sha256(contentText(c));
  }

  hashOf(prevHash: string, record: UsageRecord, seq: number): string {
    return sha256(`${prevHash}\n${recordText(record, seq)}`);
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

