import { sql, type Kysely, type Selectable } from "kysely";
import type { CatalogRepository, WriteOutcome } from "../../application/ports/catalog-repository.js";
import type { Customer, CustomerLimits, CustomerStatus, Subscription } from "../../domain/catalog/customer.js";
import type { Meter } from "../../domain/catalog/meter.js";
import type { CostVersion, Model } from "../../domain/catalog/model.js";
import type { BillingInterval, Plan, PlanVersion, RoutingPolicy } from "../../domain/catalog/plan.js";
import { decimalFromDb } from "./decimal-column.js";
import { isUniqueViolation } from "./pg-errors.js";
import type { CustomersTable, PlanVersionRow, StoredModelPrice } from "./tables/catalog.js";
import type { Database } from "./tables/index.js";

/** Lists sort by code point whatever the database's collation, so every server orders alike. */
const byKey = sql`key collate "C"`;

async function written(write: () => Promise<unknown>): Promise<WriteOutcome> {
  try {
    await write();
    return "written";
  } catch (error) {
    if (isUniqueViolation(error)) return "conflict";
    throw error;
  }
}

function toPlanVersion(row: PlanVersionRow): PlanVersion {
  return {
    version: row.version,
    effectiveFrom: row.effective_from,
    publishedAt: row.published_at,
    prices: row.prices.map((p: StoredModelPrice) => ({ model: p.model, formula: { expression: p.expression, rates: p.rates } })),
    recurringFee: decimalFromDb(row.recurring_fee),
    interval: row.billing_interval as BillingInterval,
    includedCredit: decimalFromDb(row.included_credit),
    overageLimit: decimalFromDb(row.overage_limit),
    trialCredit: decimalFromDb(row.trial_credit),
    routing: row.routing as RoutingPolicy,
  };
}

function toLimits(row: Selectable<CustomersTable>): CustomerLimits {
  return {
    dailySpendCap: decimalFromDb(row.daily_spend_cap),
    monthlySpendCap: decimalFromDb(row.monthly_spend_cap),
    maxConcurrentReservations: row.max_concurrent_reservations,
    maxAuthorizationsPerSecond: row.max_authorizations_per_second,
  };
}

/** Catalog tables through Kysely. Every statement filters on tenant_id first. */
export class PostgresCatalogRepository implements CatalogRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async listMeters(tenantId: string): Promise<readonly Meter[]> {
    const rows = await this.db.selectFrom("meters").selectAll().where("tenant_id", "=", tenantId).orderBy(byKey).execute();
    return rows.map((r) => ({ key: r.key, displayName: r.display_name, unit: r.unit, createdAt: r.created_at }));
  }

  insertMeter(tenantId: string, meter: Meter): Promise<WriteOutcome> {
    return written(() =>
      this.db
        .insertInto("meters")
        .values({ tenant_id: tenantId, key: meter.key, display_name: meter.displayName, unit: meter.unit, created_at: meter.createdAt })
        .execute(),
    );
  }

  async listModels(tenantId: string): Promise<readonly Model[]> {
    return this.loadModels(tenantId, undefined);
  }

  async getModel(tenantId: string, key: string): Promise<Model | undefined> {
    return (await this.loadModels(tenantId, key))[0];
  }

  private async loadModels(tenantId: string, key: string | undefined): Promise<Model[]> {
    let models = this.db.selectFrom("models").selectAll().where("tenant_id", "=", tenantId);
    let versions = this.db.selectFrom("model_cost_versions").selectAll().where("tenant_id", "=", tenantId);
    if (key !== undefined) {
      models = models.where("key", "=", key);
      versions = versions.where("model_key", "=", key);
    }
    const [modelRows, versionRows] = await Promise.all([models.orderBy(byKey).execute(), versions.orderBy("model_key").orderBy("version").execute()]);
    const byModel = new Map<string, CostVersion[]>();
    for (const v of versionRows) {
      const list = byModel.get(v.model_key) ?? [];
      list.push({ version: v.version, effectiveFrom: v.effective_from, cost: { expression: v.expression, rates: v.rates }, currency: v.currency, createdAt: v.created_at });
      byModel.set(v.model_key, list);
    }
    return modelRows.map((r) => ({
      key: r.key,
      vendor: r.vendor,
      displayName: r.display_name,
      tags: r.tags,
      costVersions: byModel.get(r.key) ?? [],
      createdAt: r.created_at,
    }));
  }

  insertModel(tenantId: string, model: Model): Promise<WriteOutcome> {
    return written(() =>
      this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto("models")
          .values({ tenant_id: tenantId, key: model.key, vendor: model.vendor, display_name: model.displayName, tags: [...model.tags], created_at: model.createdAt })
          .execute();
        for (const v of model.costVersions) await this.insertCostVersion(trx, tenantId, model.key, v);
      }),
    );
  }

  updateModel(tenantId: string, model: Model, costVersion: CostVersion | undefined): Promise<WriteOutcome> {
    return written(() =>
      this.db.transaction().execute(async (trx) => {
        await trx
          .updateTable("models")
          .set({ vendor: model.vendor, display_name: model.displayName, tags: [...model.tags] })
          .where("tenant_id", "=", tenantId)
          .where("key", "=", model.key)
          .execute();
        if (costVersion) await this.insertCostVersion(trx, tenantId, model.key, costVersion);
      }),
    );
  }

  private async insertCostVersion(db: Kysely<Database>, tenantId: string, modelKey: string, v: CostVersion): Promise<void> {
    await db
      .insertInto("model_cost_versions")
      .values({
        tenant_id: tenantId,
        model_key: modelKey,
        version: v.version,
        effective_from: v.effectiveFrom,
        expression: v.cost.expression,
        rates: JSON.stringify(v.cost.rates),
        currency: v.currency,
        created_at: v.createdAt,
      })
      .execute();
  }

  async listPlans(tenantId: string): Promise<readonly Plan[]> {
    return this.loadPlans(tenantId, undefined);
  }

  async getPlan(tenantId: string, key: string): Promise<Plan | undefined> {
    return (await this.loadPlans(tenantId, key))[0];
  }

  private async loadPlans(tenantId: string, key: string | undefined): Promise<Plan[]> {
    let plans = this.db.selectFrom("plans").selectAll().where("tenant_id", "=", tenantId);
    let versions = this.db.selectFrom("plan_versions").selectAll().where("tenant_id", "=", tenantId);
    if (key !== undefined) {
      plans = plans.where("key", "=", key);
      versions = versions.where("plan_key", "=", key);
    }
    const [planRows, versionRows] = await Promise.all([plans.orderBy(byKey).execute(), versions.orderBy("plan_key").orderBy("version").execute()]);
    const byPlan = new Map<string, PlanVersion[]>();
    for (const row of versionRows) {
      const list = byPlan.get(row.plan_key) ?? [];
      list.push(toPlanVersion(row));
      byPlan.set(row.plan_key, list);
    }
    return planRows.map((r) => ({ key: r.key, displayName: r.display_name, currency: r.currency, createdAt: r.created_at, versions: byPlan.get(r.key) ?? [] }));
  }

  insertPlan(tenantId: string, plan: Plan): Promise<WriteOutcome> {
    return written(() =>
      this.db
        .insertInto("plans")
        .values({ tenant_id: tenantId, key: plan.key, display_name: plan.displayName, currency: plan.currency, created_at: plan.createdAt })
        .execute(),
    );
  }

  insertPlanVersion(tenantId: string, planKey: string, v: PlanVersion): Promise<WriteOutcome> {
    const prices: StoredModelPrice[] = v.prices.map((p) => ({ model: p.model, expression: p.formula.expression, rates: { ...p.formula.rates } }));
    return written(() =>
      this.db
        .insertInto("plan_versions")
        .values({
          tenant_id: tenantId,
          plan_key: planKey,
          version: v.version,
          effective_from: v.effectiveFrom,
          published_at: v.publishedAt,
          prices: JSON.stringify(prices),
          recurring_fee: v.recurringFee.toString(),
          billing_interval: v.interval,
          included_credit: v.includedCredit.toString(),
          overage_limit: v.overageLimit.toString(),
          trial_credit: v.trialCredit.toString(),
          routing: v.routing,
        })
        .execute(),
    );
  }

  async customerIdsByFingerprint(tenantId: string, fingerprint: string): Promise<readonly string[]> {
    const rows = await this.db
      .selectFrom("customers")
      .select("customer_id")
      .where("tenant_id", "=", tenantId)
      .where("fingerprint", "=", fingerprint)
      .orderBy("customer_id")
      .execute();
    return rows.map((r) => r.customer_id);
  }

  async getCustomer(tenantId: string, customerId: string): Promise<Customer | undefined> {
    const [row, subs] = await Promise.all([
      this.db.selectFrom("customers").selectAll().where("tenant_id", "=", tenantId).where("customer_id", "=", customerId).executeTakeFirst(),
      this.db
        .selectFrom("subscriptions")
        .select(["plan_key", "started_at"])
        .where("tenant_id", "=", tenantId)
        .where("customer_id", "=", customerId)
        .orderBy("seq")
        .execute(),
    ]);
    if (!row) return undefined;
    return {
      id: row.customer_id,
      displayName: row.display_name,
      status: row.status as CustomerStatus,
      trialEndsAt: row.trial_ends_at ?? undefined,
      fingerprint: row.fingerprint,
      limits: toLimits(row),
      subscriptions: subs.map((s) => ({ planKey: s.plan_key, startedAt: s.started_at })),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  insertCustomer(tenantId: string, c: Customer): Promise<WriteOutcome> {
    return written(() =>
      this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto("customers")
          .values({
            tenant_id: tenantId,
            customer_id: c.id,
            display_name: c.displayName,
            status: c.status,
            trial_ends_at: c.trialEndsAt ?? null,
            fingerprint: c.fingerprint,
            daily_spend_cap: c.limits.dailySpendCap.toString(),
            monthly_spend_cap: c.limits.monthlySpendCap.toString(),
            max_concurrent_reservations: c.limits.maxConcurrentReservations,
            max_authorizations_per_second: c.limits.maxAuthorizationsPerSecond,
            created_at: c.createdAt,
            updated_at: c.updatedAt,
          })
          .execute();
        await trx
          .insertInto("subscriptions")
          .values(c.subscriptions.map((s, i) => ({ tenant_id: tenantId, customer_id: c.id, seq: i + 1, plan_key: s.planKey, started_at: s.startedAt })))
          .execute();
      }),
    );
  }

  appendSubscription(tenantId: string, customerId: string, seq: number, s: Subscription, now: Date): Promise<WriteOutcome> {
    return written(() =>
      this.db.transaction().execute(async (trx) => {
        await trx.insertInto("subscriptions").values({ tenant_id: tenantId, customer_id: customerId, seq, plan_key: s.planKey, started_at: s.startedAt }).execute();
        await trx.updateTable("customers").set({ updated_at: now }).where("tenant_id", "=", tenantId).where("customer_id", "=", customerId).execute();
      }),
    );
  }

  async updateCustomerLimits(tenantId: string, customerId: string, limits: CustomerLimits, now: Date): Promise<void> {
    await this.db
      .updateTable("customers")
      .set({
        daily_spend_cap: limits.dailySpendCap.toString(),
        monthly_spend_cap: limits.monthlySpendCap.toString(),
        max_concurrent_reservations: limits.maxConcurrentReservations,
        max_authorizations_per_second: limits.maxAuthorizationsPerSecond,
        updated_at: now,
      })
      .where("tenant_id", "=", tenantId)
      .where("customer_id", "=", customerId)
      .execute();
  }

  async updateCustomerStatus(tenantId: string, customerId: string, status: CustomerStatus, now: Date): Promise<void> {
    await this.db.updateTable("customers").set({ status, updated_at: now }).where("tenant_id", "=", tenantId).where("customer_id", "=", customerId).execute();
  }
}
