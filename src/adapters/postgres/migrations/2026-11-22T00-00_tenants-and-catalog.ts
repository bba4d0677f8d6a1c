import { sql, type Kysely } from "kysely";

// Frozen in time: a migration never imports application code, so what it creates never changes
// when the code does. Every table starts its key with tenant_id so the schema distributes by
// tenant (Citus distribution column) without changes.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("tenants")
    .addColumn("tenant_id", "text", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("api_keys")
    .addColumn("tenant_id", "text", (c) => c.notNull().references("tenants.tenant_id"))
    .addColumn("key_id", "text", (c) => c.notNull())
    .addColumn("secret_sha256", "bytea", (c) => c.notNull())
    .addColumn("scopes", sql`text[]`, (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("revoked_at", "timestamptz")
    .addPrimaryKeyConstraint("api_keys_pk", ["tenant_id", "key_id"])
    .execute();
  // Keys are looked up by their public id before the tenant is known.
  await db.schema.createIndex("api_keys_key_id_uq").on("api_keys").column("key_id").unique().execute();

  await db.schema
    .createTable("meters")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("display_name", "text", (c) => c.notNull())
    .addColumn("unit", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("meters_pk", ["tenant_id", "key"])
    .execute();

  await db.schema
    .createTable("models")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("vendor", "text", (c) => c.notNull())
    .addColumn("display_name", "text", (c) => c.notNull())
    .addColumn("tags", sql`text[]`, (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("models_pk", ["tenant_id", "key"])
    .execute();

  await db.schema
    .createTable("model_cost_versions")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("model_key", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("effective_from", "timestamptz", (c) => c.notNull())
    .addColumn("expression", "text", (c) => c.notNull())
    .addColumn("rates", "jsonb", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("model_cost_versions_pk", ["tenant_id", "model_key", "version"])
    .addUniqueConstraint("model_cost_versions_effective_uq", ["tenant_id", "model_key", "effective_from"])
    .execute();

  await db.schema
    .createTable("plans")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("display_name", "text", (c) => c.notNull())
    .addColumn("currency", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("plans_pk", ["tenant_id", "key"])
    .execute();

  await db.schema
    .createTable("plan_versions")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("plan_key", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("effective_from", "timestamptz", (c) => c.notNull())
    .addColumn("published_at", "timestamptz", (c) => c.notNull())
    .addColumn("prices", "jsonb", (c) => c.notNull())
    .addColumn("recurring_fee", "numeric", (c) => c.notNull())
    .addColumn("billing_interval", "text", (c) => c.notNull())
    .addColumn("included_credit", "numeric", (c) => c.notNull())
    .addColumn("overage_limit", "numeric", (c) => c.notNull())
    .addColumn("trial_credit", "numeric", (c) => c.notNull())
    .addColumn("routing", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("plan_versions_pk", ["tenant_id", "plan_key", "version"])
    .addUniqueConstraint("plan_versions_effective_uq", ["tenant_id", "plan_key", "effective_from"])
    .execute();

  // Published terms are immutable: prices change by publishing a new version, never by editing.
  await sql`
    create function tollgate_refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception '% rows are immutable (% refused)', tg_table_name, tg_op using errcode = 'P0001';
    end $$`.execute(db);
  for (const table of ["plan_versions", "model_cost_versions"]) {
    await sql`create trigger ${sql.raw(`${table}_immutable`)} before update or delete on ${sql.table(table)}
      for each row execute function tollgate_refuse_change()`.execute(db);
  }

  await db.schema
    .createTable("customers")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("display_name", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("trial_ends_at", "timestamptz")
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .addColumn("daily_spend_cap", "numeric", (c) => c.notNull())
    .addColumn("monthly_spend_cap", "numeric", (c) => c.notNull())
    .addColumn("max_concurrent_reservations", "integer", (c) => c.notNull())
    .addColumn("max_authorizations_per_second", "integer", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("customers_pk", ["tenant_id", "customer_id"])
    .execute();
  await db.schema.createIndex("customers_fingerprint_ix").on("customers").columns(["tenant_id", "fingerprint"]).execute();

  await db.schema
    .createTable("subscriptions")
    .addColumn("tenant_id", "text", (c) => c.notNull())
    .addColumn("customer_id", "text", (c) => c.notNull())
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("plan_key", "text", (c) => c.notNull())
    .addColumn("started_at", "timestamptz", (c) => c.notNull())
    .addPrimaryKeyConstraint("subscriptions_pk", ["tenant_id", "customer_id", "seq"])
    .addUniqueConstraint("subscriptions_start_uq", ["tenant_id", "customer_id", "started_at"])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations are untyped by design
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["subscriptions", "customers", "plan_versions", "plans", "model_cost_versions", "models", "meters", "api_keys", "tenants"]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await sql`drop function if exists tollgate_refuse_change()`.execute(db);
}
