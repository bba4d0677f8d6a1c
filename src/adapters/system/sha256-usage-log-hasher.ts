import { createHash } from "node:crypto";
import type { ChainedRecord, LogHead, SubmittedContent, UsageLogHasher, UsageRecord } from "../../application/ports/usage-log.js";

/** JSON with object keys sorted at every level: one byte sequence per value, whatever the key order. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** Every field of a record the chain protects, as canonical text. */
function recordText(r: UsageRecord & { readonly seq: number }): string {
  return canonical({
    tenant: r.tenantId,
    event: r.eventId,
    customer: r.customerId,
    model: r.model,
    occurredAt: r.occurredAt.toISOString(),
    receivedAt: r.receivedAt.toISOString(),
    quantities: r.quantities,
    attributes: r.attributes,
    charge: r.charge.toString(),
    currency: r.currency,
    cost: r.cost.toString(),
    costCurrency: r.costCurrency,
    plan: r.planKey,
    planVersion: r.planVersion,
    costVersion: r.costVersion,
    periodStart: r.periodStart.toISOString(),
    reservation: r.reservationId ?? null,
    released: r.released?.toString() ?? null,
    overage: r.overage?.toString() ?? null,
    content: r.contentHash,
    seq: r.seq,
  });
}

/**
 * SHA-256 over canonical JSON. A record's hash is sha256(previous hash + "\\n" + record), the
 * first of a chain following the empty string.
 */
export class Sha256UsageLogHasher implements UsageLogHasher {
  contentHash(c: SubmittedContent): string {
    return sha256(
      canonical({
        customer: c.customerId,
        model: c.model,
        occurredAt: c.occurredAt?.toISOString() ?? null,
        quantities: c.quantities,
        attributes: c.attributes,
        reservation: c.reservationId ?? null,
      }),
    );
  }

  hashOf(prevHash: string, record: UsageRecord & { readonly seq: number }): string {
    return sha256(`${prevHash}\\n${recordText(record)}`);
  }

  chain(head: LogHead, records: readonly UsageRecord[]): { chained: readonly ChainedRecord[]; head: LogHead } {
    let seq = head.seq;
    let prev = head.hash;
    const chained = records.map((r): ChainedRecord => {
      seq += 1;
      const hash = this.hashOf(prev, { ...r, seq });
      const out = { ...r, seq, prevHash: prev, hash };
      prev = hash;
      return out;
    });
    return { chained, head: { seq, hash: prev } };
  }
}
