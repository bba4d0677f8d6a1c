import type { CatalogRepository, WriteOutcome } from "../../application/ports/catalog-repository.js";
import type { Customer, CustomerLimits, CustomerStatus, Subscription } from "../../domain/catalog/customer.js";
import type { Meter } from "../../domain/catalog/meter.js";
import type { CostVersion, Model } from "../../domain/catalog/model.js";
import type { Plan, PlanVersion } from "../../domain/catalog/plan.js";

/** Tells other service instances that a tenant's catalog changed, and hears when theirs did. */
export interface CatalogChangeFeed {
  publish(tenantId: string): Promise<void>;
  subscribe(onChange: (tenantId: string) => void): void;
}

type TenantEntry = {
  /** Bumped on every invalidation; a load that started under an older generation is not kept. */
  generation: number;
  meters?: Promise<readonly Meter[]>;
  models?: Promise<readonly Model[]>;
  plans?: Promise<readonly Plan[]>;
  customers: Map<string, Promise<Customer | undefined>>;
};

/** Customers kept per tenant before the oldest entries are dropped. */
const cachedCustomersMax = 50_000;

/**
 * Keeps each tenant's catalog (meters, models, plans, customers) in memory. Catalog reads sit on
 * every rating and authorization call, and the catalog changes rarely, so reads are served from
 * here and every write through this instance, or announced by another instance on the change
 * feed, drops the tenant's entry. A load racing with a write is discarded rather than cached.
 */
export class CachedCatalogRepository implements CatalogRepository {
  private readonly tenants = new Map<string, TenantEntry>();

  constructor(
    private readonly inner: CatalogRepository,
    private readonly feed: CatalogChangeFeed,
  ) {
    feed.subscribe((tenantId) => this.invalidate(tenantId));
  }

  private entry(tenantId: string): TenantEntry {
    let entry = this.tenants.get(tenantId);
    if (!entry) {
      entry = { generation: 0, customers: new Map() };
      this.tenants.set(tenantId, entry);
    }
    return entry;
  }

  /** Forgets every tenant's catalog (used when change announcements may have been missed). */
  invalidateAll(): void {
    for (const tenantId of this.tenants.keys()) this.invalidate(tenantId);
  }

  /** Forgets everything cached for the tenant. */
  invalidate(tenantId: string): void {
    const entry = this.tenants.get(tenantId);
    if (!entry) return;
    entry.generation++;
    delete entry.meters;
    delete entry.models;
    delete entry.plans;
    entry.customers.clear();
  }

  private cached<K extends "meters" | "models" | "plans">(tenantId: string, slot: K, load: () => NonNullable<TenantEntry[K]>): NonNullable<TenantEntry[K]> {
    const entry = this.entry(tenantId);
    const hit = entry[slot];
    if (hit) return hit as NonNullable<TenantEntry[K]>;
    const generation = entry.generation;
    const loading = load();
    entry[slot] = loading;
    const forget = () => {
      if (entry.generation === generation && entry[slot] === loading) delete entry[slot];
    };
    loading.then(() => {
      if (entry.generation !== generation) forget();
    }, forget);
    return loading;
  }

  private async afterWrite(tenantId: string, outcome: Promise<WriteOutcome | void>): Promise<WriteOutcome> {
    try {
      return (await outcome) ?? "written";
    } finally {
      // Invalidate even on conflict: someone else wrote, so what we hold is stale.
      this.invalidate(tenantId);
      await this.feed.publish(tenantId);
    }
  }

  listMeters(tenantId: string): Promise<readonly Meter[]> {
    return this.cached(tenantId, "meters", () => this.inner.listMeters(tenantId));
  }
  insertMeter(tenantId: string, meter: Meter): Promise<WriteOutcome> {
    return this.afterWrite(tenantId, this.inner.insertMeter(tenantId, meter));
  }

  listModels(tenantId: string): Promise<readonly Model[]> {
    return this.cached(tenantId, "models", () => this.inner.listModels(tenantId));
  }
  async getModel(tenantId: string, key: string): Promise<Model | undefined> {
    return (await this.listModels(tenantId)).find((m) => m.key === key);
  }
  insertModel(tenantId: string, model: Model): Promise<WriteOutcome> {
    return this.afterWrite(tenantId, this.inner.insertModel(tenantId, model));
  }
  updateModel(tenantId: string, model: Model, costVersion: CostVersion | undefined): Promise<WriteOutcome> {
    return this.afterWrite(tenantId, this.inner.updateModel(tenantId, model, costVersion));
  }

  listPlans(tenantId: string): Promise<readonly Plan[]> {
    return this.cached(tenantId, "plans", () => this.inner.listPlans(tenantId));
  }
  async getPlan(tenantId: string, key: string): Promise<Plan | undefined> {
    return (await this.listPlans(tenantId)).find((p) => p.key === key);
  }
  insertPlan(tenantId: string, plan: Plan): Promise<WriteOutcome> {
    return this.afterWrite(tenantId, this.inner.insertPlan(tenantId, plan));
  }
  insertPlanVersion(tenantId: string, planKey: string, version: PlanVersion): Promise<WriteOutcome> {
    return this.afterWrite(tenantId, this.inner.insertPlanVersion(tenantId, planKey, version));
  }

  /** Not cached: asked only while a customer is in trial, and any new customer may join the group. */
  customerIdsByFingerprint(tenantId: string, fingerprint: string): Promise<readonly string[]> {
    return this.inner.customerIdsByFingerprint(tenantId, fingerprint);
  }

  getCustomer(tenantId: string, customerId: string): Promise<Customer | undefined> {
    const entry = this.entry(tenantId);
    const hit = entry.customers.get(customerId);
    if (hit) return hit;
    const generation = entry.generation;
    const loading = this.inner.getCustomer(tenantId, customerId);
    if (entry.customers.size >= cachedCustomersMax) {
      const oldest = entry.customers.keys().next().value;
      if (oldest !== undefined) entry.customers.delete(oldest);
    }
    entry.customers.set(customerId, loading);
    const forget = () => {
      if (entry.customers.get(customerId) === loading) entry.customers.delete(customerId);
    };
    // Unknown customers are not remembered: one may be created by another instance any moment.
    loading.then((customer) => (customer === undefined || entry.generation !== generation ? forget() : undefined), forget);
    return loading;
  }
  insertCustomer(tenantId: string, customer: Customer): Promise<WriteOutcome> {
    return this.afterWrite(tenantId, this.inner.insertCustomer(tenantId, customer));
  }
  appendSubscription(tenantId: string, customerId: string, seq: number, subscription: Subscription, now: Date): Promise<WriteOutcome> {
    return this.afterWrite(tenantId, this.inner.appendSubscription(tenantId, customerId, seq, subscription, now));
  }
  updateCustomerLimits(tenantId: string, customerId: string, limits: CustomerLimits, now: Date): Promise<void> {
    return this.afterWrite(tenantId, this.inner.updateCustomerLimits(tenantId, customerId, limits, now)).then(() => undefined);
  }
  updateCustomerStatus(tenantId: string, customerId: string, status: CustomerStatus, now: Date): Promise<void> {
    return this.afterWrite(tenantId, this.inner.updateCustomerStatus(tenantId, customerId, status, now)).then(() => undefined);
  }
}
