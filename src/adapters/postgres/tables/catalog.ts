import type { ColumnType, Insertable, Selectable } from "kysely";

/** `numeric` columns: written as decimal strings, read back as strings (never JS numbers). */
type Numeric = ColumnType<string, string, string>;

export interface MetersTable {
  tenant_id: string;
  key: string;
  display_name: string;
  unit: string;
  created_at: Date;
}

export interface ModelsTable {
  tenant_id: string;
  key: string;
  vendor: string;
  display_name: string;
  tags: string[];
  created_at: Date;
}

export interface ModelCostVersionsTable {
  tenant_id: string;
  model_key: string;
  version: number;
  effective_from: Date;
  expression: string;
  rates: ColumnType<Record<string, string>, string, string>;
  currency: string;
  created_at: Date;
}

export interface PlansTable {
  tenant_id: string;
  key: string;
  display_name: string;
  currency: string;
  created_at: Date;
}

/** One price of a plan version as stored in `plan_versions.prices`. */
export type StoredModelPrice = { model: string; expression: string; rates: Record<string, string> };

export interface PlanVersionsTable {
  tenant_id: string;
  plan_key: string;
  version: number;
  effective_from: Date;
  published_at: Date;
  prices: ColumnType<StoredModelPrice[], string, string>;
  recurring_fee: Numeric;
  billing_interval: string;
  included_credit: Numeric;
  overage_limit: Numeric;
  trial_credit: Numeric;
  routing: string;
}

export interface CustomersTable {
  tenant_id: string;
  customer_id: string;
  display_name: string;
  status: string;
  trial_ends_at: Date | null;
  fingerprint: string;
  daily_spend_cap: Numeric;
  monthly_spend_cap: Numeric;
  max_concurrent_reservations: number;
  max_authorizations_per_second: number;
  created_at: Date;
  updated_at: Date;
}

export interface SubscriptionsTable {
  tenant_id: string;
  customer_id: string;
  /** Position in the customer's timeline, from 1. */
  seq: number;
  plan_key: string;
  started_at: Date;
}

export type PlanVersionRow = Selectable<PlanVersionsTable>;
export type CustomerRow = Selectable<CustomersTable>;
export type NewCustomerRow = Insertable<CustomersTable>;
