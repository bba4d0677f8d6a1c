import { sql, type Kysely } from "kysely";

// Frozen in time: never imports application code.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  // The wallet's history: the only source of truth. (wallet_id, version) is unique per tenant,
  // which is what makes a lost update impossible whatever the number of writers.
  await db.schema
    .createTable("wallet_events")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("wallet_id", "text", (c) => c.notNull())
    .addColumn("version", "bigint", (c) => c.notNull())
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("payload", "jsonb", (c) => c.notNull())
    .addColumn("at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("wallet_events_pk", ["tenant_id", "wallet_id", "version"])
    .execute();
  for (const table of ["wallet_events"]) {
    await sql`create trigger ${sql.raw(`${table}_immutable`)} before update or delete on ${sql.table(table)}
      for each row execute function tollgate_refuse_change()`.execute(db);
  }

  // A cache of replayed state, so loading reads one snapshot and the events after it.
  await db.schema
    .createTable("wallet_snapshots")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("wallet_id", "text", (c) => c.notNull())
    .addColumn("version", "bigint", (c) => c.notNull())
    .addColumn("state", "jsonb", (c) => c.notNull())
    .addPrimaryKeyConstraint("wallet_snapshots_pk", ["tenant_id", "wallet_id"])
    .execute();

  // The read model: one row per wallet, written in the same transaction as the events.
  await db.schema
    .createTable("wallet_balances")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("wallet_id", "text", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("version", "bigint", (c) => c.notNull())
    .addColumn("available", "numeric", (c) => c.notNull())
    .addColumn("credits_remaining", "numeric", (c) => c.notNull())
    .addColumn("reserved", "numeric", (c) => c.notNull())
    .addColumn("overage_used", "numeric", (c) => c.notNull())
    .addColumn("overage_limit", "numeric", (c) => c.notNull())
    .addColumn("grants", "jsonb", (c) => c.notNull())
    // When the scheduler next has something to do for this wallet (expiry, lapse, warning).
    .addColumn("next_due_at", "timestamptz")
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("wallet_balances_pk", ["tenant_id", "wallet_id"])
    .execute();
  // When each customer's next period allowance is due (see GrantPeriodAllowances).
  await db.schema
    .createTable("allowance_schedule")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("next_grant_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("allowance_schedule_pk", ["tenant_id", "customer_id"])
    .execute();
  await db.schema.createIndex("allowance_schedule_due_ix").on("allowance_schedule").column("next_grant_at").execute();

  await db.schema.createIndex("wallet_balances_due_ix").on("wallet_balances").column("next_due_at").where(sql.ref("next_due_at"), "is not", null).execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["allowance_schedule", "wallet_balances", "wallet_snapshots", "wallet_events"]) await db.schema.dropTable(table).ifExists().execute();
}
