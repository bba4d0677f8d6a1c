import type { UsageLog, UsageLogHasher } from "../ports/usage-log.js";

export type Verification = {
  readonly intact: boolean;
  readonly verifiedEvents: number;
  /** The first record whose link does not hold; for a chain cut short, its last record. */
  readonly firstBrokenEventId: string;
  /** What is wrong there, for people. */
  readonly problem: string;
};

const pageSize = 5000;

/**
 * Recomputes every hash chain of a tenant's usage log. Each customer's records must follow one
 * another without gaps (seq 1, 2, …), each must point at the previous record's hash, each hash
 * must be the hash of the record as stored, and the chain must end where the customer's balance
 * row says it ends (so records cut from the end are noticed too). Stops at the first break.
 */
export class VerifyEventLog {
  constructor(
    private readonly log: UsageLog,
    private readonly hasher: UsageLogHasher,
  ) {}

  async execute(tenantId: string): Promise<Verification> {
    let verified = 0;
    for (const chain of await this.log.chains(tenantId)) {
      let seq = 0;
      let prev = "";
      let lastId = "";
      for (;;) {
        const records = await this.log.chainRecords(tenantId, chain.customerId, seq, pageSize);
        for (const r of records) {
          const broken = (problem: string) => ({ intact: false, verifiedEvents: verified, firstBrokenEventId: r.record.eventId, problem: `customer ${chain.customerId}, record ${r.seq}: ${problem}` });
          if (r.seq !== seq + 1) return broken(`expected record ${seq + 1} next; records are missing before it`);
          if (r.prevHash !== prev) return broken("it does not link to the record before it");
          if (this.hasher.hashOf(prev, r.record, r.seq) !== r.hash) return broken("its content does not match its hash (it was changed)");
          seq = r.seq;
          prev = r.hash;
          lastId = r.record.eventId;
          verified++;
        }
        if (records.length < pageSize) break;
      }
      if (chain.head.seq !== seq || chain.head.hash !== prev) {
        return {
          intact: false,
          verifiedEvents: verified,
          firstBrokenEventId: lastId,
          problem: `customer ${chain.customerId}: the chain ends at record ${seq} but ${chain.head.seq} were written (records were removed from its end)`,
        };
      }
    }
    return { intact: true, verifiedEvents: verified, firstBrokenEventId: "", problem: "" };
  }
}
