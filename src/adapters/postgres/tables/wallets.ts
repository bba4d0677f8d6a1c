import type { ColumnType } from "kysely";

type Int8 = ColumnType<string, string | bigint, string | bigint>;
type Numeric = ColumnType<string, string, string>;
type Json<T> = ColumnType<T, string, string>;

export interface WalletEventsTable {
  tenant_id: string;
  wallet_id: string;
  version: Int8;
  type: string;
  payload: Json<Record<string, unknown>>;
  at: Date;
}

export interface WalletSnapshotsTable {
  tenant_id: string;
  wallet_id: string;
  version: Int8;
  state: Json<Record<string, unknown>>;
}

export type StoredGrantView = {
  grantId: string;
  source: string;
  granted: string;
  remaining: string;
  expiresAt: string | null;
  priority: number;
};

export interface WalletBalancesTable {
  tenant_id: string;
  wallet_id: string;
  currency: string;
  version: Int8;
  available: Numeric;
  credits_remaining: Numeric;
  reserved: Numeric;
  overage_used: Numeric;
  overage_limit: Numeric;
  grants: Json<StoredGrantView[]>;
  next_due_at: Date | null;
  updated_at: Date;
  token: string;
  log_seq: Int8;
  log_hash: string;
}

export interface AllowanceScheduleTable {
  tenant_id: string;
  customer_id: string;
  next_grant_at: Date;
}
