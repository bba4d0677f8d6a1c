import { sortStrings } from "../../domain/collections/sort-strings.js";
import { sha256Hex as sha256 } from "./sha256.js";
import type { ChainedRecord, LogHead, SubmittedContent, UsageLogHasher, UsageRecord } from "../../application/ports/usage-log.js";

/** A string map as [key, value] pairs in key order: one text per map, whatever its insertion order. */
const pairs = (m: Readonly<Record<string, string>>): [string, string][] => sortStrings(Object.keys(m)).map((k) => [k, m[k] ?? ""]);

/**
 * Every field of a record the chain protects, as a JSON array in a fixed order: positional, so
 * the text is canonical by construction (and cheap: this runs for every record written).
 */
const recordText = (r: UsageRecord, seq: number): string =>
  JSON.stringify([
    "usage-record-v1",
    r.tenantId,
    r.eventId,
    r.customerId,
    r.model,
    // Times as epoch milliseconds: exact, and far cheaper to format than ISO text.
    r.occurredAt.getTime(),
    r.receivedAt.getTime(),
    pairs(r.quantities),
    pairs(r.attributes),
    r.charge.toString(),
    r.currency,
    r.cost.toString(),
    r.costCurrency,
    r.planKey,
    r.planVersion,
    r.costVersion,
    r.periodStart.getTime(),
    r.reservationId ?? null,
    r.released?.toString() ?? null,
    r.overage?.toString() ?? null,
    r.contentHash,
    seq,
  ]);

/**
 * SHA-256 over canonical text. A record's hash is sha256(previous hash + "\n" + record), the
 * first of a chain following the empty string.
 */
export class Sha256UsageLogHasher implements UsageLogHasher {
  contentHash(c: SubmittedContent): string {
    return sha256(
      JSON.stringify(["usage-content-v1", c.customerId, c.model, c.occurredAt?.toISOString() ?? null, pairs(c.quantities), pairs(c.attributes), c.reservationId ?? null]),
    );
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
