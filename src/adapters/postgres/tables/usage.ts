import type { ColumnType } from "kysely";

type Int8 = ColumnType<string, string | bigint, string | bigint>;
type Numeric = ColumnType<string, string, string>;
type Json<T> = ColumnType<T, string, string>;

export interface UsageEventsTable {
  tenant_id: string;
  event_id: string;
  customer_id: string;
  model: string;
  occurred_at: Date;
  received_at: Date;
  quantities: Json<Record<string, string>>;
  attributes: Json<Record<string, string>>;
  charge: Numeric;
  currency: string;
  cost: Numeric;
  cost_currency: string;
  plan_key: string;
  plan_version: number;
  cost_version: number;
  period_start: Date;
  reservation_id: string | null;
  released: Numeric | null;
  overage: Numeric | null;
  content_hash: string;
  chain_seq: Int8;
  prev_hash: string;
  hash: string;
}
