import { sql, type Kysely } from "kysely";

// Frozen in time: never imports application code.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  // Each append names itself with a token; the next append of the wallet applies only if it
  // finds the token it expects (compare-and-set on this row), which orders appends in flight
  // together and refuses one decided on a state that never got written. The row also holds the
  // end of the customer's usage-record hash chain, moved in the same statement.
  await db.schema
    .alterTable("wallet_balances")
    .addColumn("token", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("log_seq", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("log_hash", "text", (c) => c.notNull().defaultTo(""))
    .execute();

  // Every usage event once, priced, with its place in its customer's hash chain. Append-only.
  await db.schema
    .createTable("usage_events")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("event_id", "text", (c) => c.notNull())
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("occurred_at", "timestamptz", (c) => c.notNull())
    .addColumn("received_at", "timestamptz", (c) => c.notNull())
    .addColumn("quantities", "jsonb", (c) => c.notNull())
    .addColumn("attributes", "jsonb", (c) => c.notNull())
    .addColumn("charge", "numeric", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("cost", "numeric", (c) => c.notNull())
    .addColumn("cost_currency", "text", (c) => c.notNull())
    .addColumn("plan_key", "text", (c) => c.notNull())
    .addColumn("plan_version", "integer", (c) => c.notNull())
    .addColumn("cost_version", "integer", (c) => c.notNull())
    .addColumn("period_start", "timestamptz", (c) => c.notNull())
    .addColumn("reservation_id", "text")
    .addColumn("released", "numeric")
    .addColumn("overage", "numeric")
    .addColumn("content_hash", "text", (c) => c.notNull())
    .addColumn("chain_seq", "bigint", (c) => c.notNull())
    .addColumn("prev_hash", "text", (c) => c.notNull())
    .addColumn("hash", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("usage_events_pk", ["tenant_id", "event_id"])
    .execute();
  await db.schema.createIndex("usage_events_chain_uq").on("usage_events").columns(["tenant_id", "customer_id", "chain_seq"]).unique().execute();
  // Summaries and listings by time, for the tenant and for one customer.
  await db.schema.createIndex("usage_events_occurred_ix").on("usage_events").columns(["tenant_id", "occurred_at", "event_id"]).execute();
  await db.schema.createIndex("usage_events_customer_occurred_ix").on("usage_events").columns(["tenant_id", "customer_id", "occurred_at", "event_id"]).execute();
  await sql`create trigger usage_events_immutable before update or delete on usage_events
    for each row execute function tollgate_refuse_change()`.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("usage_events").ifExists().execute();
  await db.schema.alterTable("wallet_balances").dropColumn("token").dropColumn("log_seq").dropColumn("log_hash").execute();
}
