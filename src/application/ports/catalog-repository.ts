import type { Customer, CustomerLimits, CustomerStatus, Subscription } from "../../domain/catalog/customer.js";
import type { Meter } from "../../domain/catalog/meter.js";
import type { CostVersion, Model } from "../../domain/catalog/model.js";
import type { Plan, PlanVersion } from "../../domain/catalog/plan.js";
import { token } from "./token.js";

/**
 * Writes report "conflict" when a concurrent writer got there first (a unique key was taken);
 * the use case then re-reads and decides again, which is also how retries stay idempotent.
 */
export type WriteOutcome = "written" | "conflict";

/** Catalog persistence, always scoped to one tenant: nothing here can see another tenant's rows. */
export interface CatalogRepository {
  listMeters(tenantId: string): Promise<readonly Meter[]>;
  insertMeter(tenantId: string, meter: Meter): Promise<WriteOutcome>;

  listModels(tenantId: string): Promise<readonly Model[]>;
  getModel(tenantId: string, key: string): Promise<Model | undefined>;
  insertModel(tenantId: string, model: Model): Promise<WriteOutcome>;
  /** Replaces the model's metadata and, when given, appends a cost version, atomically. */
  updateModel(tenantId: string, model: Model, costVersion: CostVersion | undefined): Promise<WriteOutcome>;

  listPlans(tenantId: string): Promise<readonly Plan[]>;
  getPlan(tenantId: string, key: string): Promise<Plan | undefined>;
  insertPlan(tenantId: string, plan: Plan): Promise<WriteOutcome>;
  insertPlanVersion(tenantId: string, planKey: string, version: PlanVersion): Promise<WriteOutcome>;

  getCustomer(tenantId: string, customerId: string): Promise<Customer | undefined>;
  /** Ids of the customers sharing `fingerprint` (trial limits are shared by them). */
  customerIdsByFingerprint(tenantId: string, fingerprint: string): Promise<readonly string[]>;
  insertCustomer(tenantId: string, customer: Customer): Promise<WriteOutcome>;
  /** Appends at position `seq` (1-based) of the timeline; conflict if that position is taken. */
  appendSubscription(tenantId: string, customerId: string, seq: number, subscription: Subscription, now: Date): Promise<WriteOutcome>;
  updateCustomerLimits(tenantId: string, customerId: string, limits: CustomerLimits, now: Date): Promise<void>;
  updateCustomerStatus(tenantId: string, customerId: string, status: CustomerStatus, now: Date): Promise<void>;
}
export const CatalogRepository = token<CatalogRepository>("CatalogRepository");
