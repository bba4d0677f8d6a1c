import { sql, type Kysely, type Selectable } from "kysely";
import type { ChainedRecord, GroupBy, PageCursor, RecordedUsage, StoredChain, SummaryRow, UsageLog, UsageQuery } from "../../application/ports/usage-log.js";
import { Decimal } from "../../domain/money/decimal.js";
import { decimalFromDb } from "./decimal-column.js";
import type { Database } from "./tables/index.js";
import type { UsageEventsTable } from "./tables/usage.js";

const recordOf = (r: Selectable<UsageEventsTable>): ChainedRecord => ({
  record: {
  tenantId: r.tenant_id,
  eventId: r.event_id,
  customerId: r.customer_id,
  model: r.model,
  occurredAt: r.occurred_at,
  receivedAt: r.received_at,
  quantities: canonicalText(r.quantities),
  attributes: sortedKeys(r.attributes),
  charge: decimalFromDb(r.charge),
  currency: r.currency,
  cost: decimalFromDb(r.cost),
  costCurrency: r.cost_currency,
  planKey: r.plan_key,
  planVersion: r.plan_version,
  costVersion: r.cost_version,
  periodStart: r.period_start,
  reservationId: r.reservation_id ?? undefined,
  released: r.released === null ? undefined : decimalFromDb(r.released),
  overage: r.overage === null ? undefined : decimalFromDb(r.overage),
  contentHash: r.content_hash,
  },
  seq: Number(r.chain_seq),
  prevHash: r.prev_hash,
  hash: r.hash,
});

function sortedKeys(o: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k] ?? "";
  return out;
}

/** Quantities were written in canonical decimal text; jsonb keeps them as written. */
const canonicalText = (o: Record<string, string>): Record<string, string> => sortedKeys(o);

const zero = Decimal.ZERO;

type FoundRow = {
  event_id: string;
  customer_id: string;
  model: string;
  occurred_at: Date;
  charge: string;
  currency: string;
  cost: string;
  cost_currency: string;
  reservation_id: string | null;
  released: string | null;
  overage: string | null;
  content_hash: string;
};

type SumRow = { key: string; currency: string; cost_currency: string; charge: string | null; cost: string | null; events: string };
type QuantityRow = { key: string; currency: string; cost_currency: string; meter: string; quantity: string | null };

/** The usage log's read side on Postgres: lookups by id, exact sums in `numeric`, pages, chains. */
export class PostgresUsageLog implements UsageLog {
  constructor(private readonly db: Kysely<Database>) {}

  async find(tenantId: string, eventIds: readonly string[]): Promise<ReadonlyMap<string, RecordedUsage>> {
    if (eventIds.length === 0) return new Map();
    // Every ingestion call asks this of all its ids, and a replay of a recorded batch gets all
    // of them back: only the columns an answer needs (quantities and attributes, the bulk of a
    // row, are vouched for by the content hash), in a statement prepared once per connection.
    const { rows } = await sql<FoundRow>`/* prepare: usage_find */
      select event_id, customer_id, model, occurred_at, charge::text as charge, currency, cost::text as cost, cost_currency,
             reservation_id, released::text as released, overage::text as overage, content_hash
        from usage_events where tenant_id = ${tenantId} and event_id = any(${[...eventIds]}::text[])`.execute(this.db);
    return new Map(
      rows.map((r) => [
        r.event_id,
        {
          eventId: r.event_id,
          customerId: r.customer_id,
          model: r.model,
          occurredAt: r.occurred_at,
          charge: decimalFromDb(r.charge),
          currency: r.currency,
          cost: decimalFromDb(r.cost),
          costCurrency: r.cost_currency,
          reservationId: r.reservation_id ?? undefined,
          released: r.released === null ? undefined : decimalFromDb(r.released),
          overage: r.overage === null ? undefined : decimalFromDb(r.overage),
          contentHash: r.content_hash,
        },
      ]),
    );
  }

  private where(tenantId: string, q: UsageQuery) {
    return sql`tenant_id = ${tenantId} and occurred_at >= ${q.from} and occurred_at < ${q.to}${q.customerId === undefined ? sql`` : sql` and customer_id = ${q.customerId}`}`;
  }

  async summarize(tenantId: string, q: UsageQuery, groupBy: GroupBy): Promise<{ rows: readonly SummaryRow[]; totals: readonly SummaryRow[] }> {
    const where = this.where(tenantId, q);
    const keyExpr =
      groupBy === "MODEL" ? sql`model` : groupBy === "CUSTOMER" ? sql`customer_id` : groupBy === "DAY" ? sql`to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD')` : sql`m.meter`;
    // By meter, an event counts in the row of every meter it carries: charge and cost are not
    // split between meters (a price can combine them), so rows do not add up to the totals.
    const from = groupBy === "METER" ? sql`usage_events u cross join lateral (select key as meter from jsonb_each_text(u.quantities)) m` : sql`usage_events u`;
    const sums = await sql<SumRow>`
      select ${keyExpr} as key, currency, cost_currency, sum(charge)::text as charge, sum(cost)::text as cost, count(*)::text as events
        from ${from} where ${where}
       group by 1, 2, 3 order by 1, 2, 3`.execute(this.db);
    const quantities = await sql<QuantityRow>`
      select ${groupBy === "METER" ? sql`q.key` : keyExpr} as key, currency, cost_currency, q.key as meter, sum(q.value::numeric)::text as quantity
        from usage_events u cross join lateral jsonb_each_text(u.quantities) q
       where ${where}
       group by 1, 2, 3, 4`.execute(this.db);
    const totals = await sql<SumRow>`
      select '' as key, currency, cost_currency, sum(charge)::text as charge, sum(cost)::text as cost, count(*)::text as events
        from usage_events where ${where} group by 2, 3 order by 2, 3`.execute(this.db);
    const byGroup = new Map<string, Map<string, Decimal>>();
    for (const r of quantities.rows) {
      const id = `${r.key}\u0000${r.currency}\u0000${r.cost_currency}`;
      let meters = byGroup.get(id);
      if (!meters) byGroup.set(id, (meters = new Map()));
      meters.set(r.meter, r.quantity === null ? zero : decimalFromDb(r.quantity));
    }
    const row = (r: SumRow, meters: ReadonlyMap<string, Decimal>): SummaryRow => ({
      key: r.key,
      currency: r.currency,
      costCurrency: r.cost_currency,
      charge: r.charge === null ? zero : decimalFromDb(r.charge),
      cost: r.cost === null ? zero : decimalFromDb(r.cost),
      eventCount: Number(r.events),
      quantities: meters,
    });
    const totalQuantities = new Map<string, Map<string, Decimal>>();
    for (const r of quantities.rows) {
      if (groupBy === "METER" && r.meter !== r.key) continue;
      const id = `${r.currency}\u0000${r.cost_currency}`;
      let meters = totalQuantities.get(id);
      if (!meters) totalQuantities.set(id, (meters = new Map()));
      meters.set(r.meter, (meters.get(r.meter) ?? zero).plus(r.quantity === null ? zero : decimalFromDb(r.quantity)));
    }
    return {
      rows: sums.rows.map((r) => row(r, byGroup.get(`${r.key}\u0000${r.currency}\u0000${r.cost_currency}`) ?? new Map())),
      totals: totals.rows.map((r) => row(r, totalQuantities.get(`${r.currency}\u0000${r.cost_currency}`) ?? new Map())),
    };
  }

  async list(tenantId: string, q: UsageQuery, after: PageCursor | undefined, limit: number): Promise<readonly ChainedRecord[]> {
    let query = this.db
      .selectFrom("usage_events")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("occurred_at", ">=", q.from)
      .where("occurred_at", "<", q.to);
    if (q.customerId !== undefined) query = query.where("customer_id", "=", q.customerId);
    if (after) query = query.where(sql<boolean>`(occurred_at, event_id) > (${after.occurredAt}, ${after.eventId})`);
    const rows = await query.orderBy("occurred_at").orderBy("event_id").limit(limit).execute();
    return rows.map(recordOf);
  }

  async chains(tenantId: string): Promise<readonly StoredChain[]> {
    // Every customer with a chain head or a record: a chain whose records were all removed
    // still has its head on the balance row.
    const rows = await sql<{ customer_id: string; log_seq: string | null; log_hash: string | null }>`
      select c.customer_id, b.log_seq::text as log_seq, b.log_hash
        from (select distinct customer_id from usage_events where tenant_id = ${tenantId}
              union select wallet_id from wallet_balances where tenant_id = ${tenantId} and log_seq > 0) c
        left join wallet_balances b on b.tenant_id = ${tenantId} and b.wallet_id = c.customer_id
       order by c.customer_id`.execute(this.db);
    return rows.rows.map((r) => ({ customerId: r.customer_id, head: { seq: Number(r.log_seq ?? 0), hash: r.log_hash ?? "" } }));
  }

  async chainRecords(tenantId: string, customerId: string, afterSeq: number, limit: number): Promise<readonly ChainedRecord[]> {
    const rows = await this.db
      .selectFrom("usage_events")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("customer_id", "=", customerId)
      .where("chain_seq", ">", String(afterSeq))
      .orderBy("chain_seq")
      .limit(limit)
      .execute();
    return rows.map(recordOf);
  }

  async tenants(): Promise<readonly string[]> {
    const rows = await sql<{ tenant_id: string }>`select tenant_id from tenants order by tenant_id`.execute(this.db);
    return rows.rows.map((r) => r.tenant_id);
  }
}
