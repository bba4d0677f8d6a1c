import type { Decimal } from "../../domain/money/decimal.js";
import { token } from "./token.js";

/**
 * One usage event as recorded: what the caller sent, how it was priced, and (for events that
 * settled a hold) how the hold ended. Records are immutable once written.
 */
export type UsageRecord = {
  readonly tenantId: string;
  readonly eventId: string;
  readonly customerId: string;
  readonly model: string;
  readonly occurredAt: Date;
  readonly receivedAt: Date;
  /** Decimal strings by meter key, as sent (canonical form). */
  readonly quantities: Readonly<Record<string, string>>;
  readonly attributes: Readonly<Record<string, string>>;
  readonly charge: Decimal;
  readonly currency: string;
  readonly cost: Decimal;
  readonly costCurrency: string;
  readonly planKey: string;
  readonly planVersion: number;
  readonly costVersion: number;
  /** Start of the billing period the event falls in (for `period.<meter>` and summaries). */
  readonly periodStart: Date;
  /** The hold it settled (Commit), if any, with how the settlement split the charge. */
  readonly reservationId: string | undefined;
  readonly released: Decimal | undefined;
  readonly overage: Decimal | undefined;
  /** Fingerprint of the caller-supplied content, so a retry with different content is told apart. */
  readonly contentHash: string;
};

/** Where a customer's chain of records ends: its last sequence number and hash. */
export type LogHead = { readonly seq: number; readonly hash: string };
export const emptyLogHead: LogHead = { seq: 0, hash: "" };

/** A record with its place in the customer's hash chain. */
export type ChainedRecord = UsageRecord & { readonly seq: number; readonly prevHash: string; readonly hash: string };

/**
 * Links records into a tamper-evident chain: each hash covers the record and the previous
 * hash, so changing, removing or reordering any record breaks every later link.
 */
export interface RecordChainer {
  chain(head: LogHead, records: readonly UsageRecord[]): { readonly chained: readonly ChainedRecord[]; readonly head: LogHead };
  /** The hash `record` must have after `prevHash`: used to verify stored chains. */
  hashOf(prevHash: string, record: UsageRecord & { readonly seq: number }): string;
}
export const RecordChainer = token<RecordChainer>("RecordChainer");
