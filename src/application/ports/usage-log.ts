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

/**
 * A record with its place in the customer's hash chain. The record is wrapped, not spread into
 * a wider object: copying a record's twenty-odd fields cost more than hashing it.
 */
export type ChainedRecord = { readonly record: UsageRecord; readonly seq: number; readonly prevHash: string; readonly hash: string };

/** What a caller sent for one event: the part a retry must repeat exactly to be a duplicate. */
export type SubmittedContent = {
  readonly customerId: string;
  readonly model: string;
  /** As sent: undefined when the caller let it default to the time of receipt, so a retry matches. */
  readonly occurredAt: Date | undefined;
  readonly quantities: Readonly<Record<string, string>>;
  readonly attributes: Readonly<Record<string, string>>;
  /** For usage recorded by Commit: the hold it settles. */
  readonly reservationId: string | undefined;
};

/**
 * Hashing for the usage log: a fingerprint of submitted content (to tell a retry from a
 * conflicting reuse of an event id), and the hash chain that makes the log tamper-evident:
 * each record's hash covers the record and the previous hash, so changing, removing or
 * reordering any record breaks every later link.
 */
export interface UsageLogHasher {
  contentHash(content: SubmittedContent): string;
  chain(head: LogHead, records: readonly UsageRecord[]): { readonly chained: readonly ChainedRecord[]; readonly head: LogHead };
  /** The hash `record` must have after `prevHash`: used to verify stored chains. */
  hashOf(prevHash: string, record: UsageRecord, seq: number): string;
}
export const UsageLogHasher = token<UsageLogHasher>("UsageLogHasher");

export type GroupBy = "MODEL" | "METER" | "DAY" | "CUSTOMER";

export type UsageQuery = {
  readonly customerId: string | undefined;
  readonly from: Date;
  readonly to: Date;
};

/** Sums of one group (and one charge/cost currency pair), exact. */
export type SummaryRow = {
  readonly key: string;
  readonly currency: string;
  readonly costCurrency: string;
  readonly charge: Decimal;
  readonly cost: Decimal;
  readonly eventCount: number;
  readonly quantities: ReadonlyMap<string, Decimal>;
};

/** Where a page of rated events ends: the next page starts after it. */
export type PageCursor = { readonly occurredAt: Date; readonly eventId: string };

/** One customer's chain as stored: its records in order, and the head its balance row records. */
export type StoredChain = { readonly customerId: string; readonly head: LogHead };

/**
 * What a retry of a recorded event is answered with (and checked against): the record without
 * its quantities and attributes, which the content hash stands for.
 */
export type RecordedUsage = Pick<
  UsageRecord,
  "eventId" | "customerId" | "model" | "occurredAt" | "charge" | "currency" | "cost" | "costCurrency" | "reservationId" | "released" | "overage" | "contentHash"
>;

/** The recorded usage, read side. Every call is scoped to one tenant. */
export interface UsageLog {
  /** What was recorded under these event ids, by event id: the duplicate check of every write. */
  find(tenantId: string, eventIds: readonly string[]): Promise<ReadonlyMap<string, RecordedUsage>>;
  summarize(tenantId: string, query: UsageQuery, groupBy: GroupBy): Promise<{ readonly rows: readonly SummaryRow[]; readonly totals: readonly SummaryRow[] }>;
  /** Up to `limit` records after `after`, by (occurred_at, event_id). */
  list(tenantId: string, query: UsageQuery, after: PageCursor | undefined, limit: number): Promise<readonly ChainedRecord[]>;
  /** Every chain of the tenant (customers with records), by customer id. */
  chains(tenantId: string): Promise<readonly StoredChain[]>;
  /** Records of one chain with seq > `afterSeq`, in order, at most `limit`. */
  chainRecords(tenantId: string, customerId: string, afterSeq: number, limit: number): Promise<readonly ChainedRecord[]>;
  /** Tenants with records (for the operator's verify-log). */
  tenants(): Promise<readonly string[]>;
}
export const UsageLog = token<UsageLog>("UsageLog");
