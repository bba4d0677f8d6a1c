import type { ApiKeysTable, TenantsTable } from "./tenants.js";
import type { UsageEventsTable } from "./usage.js";
import type { AllowanceScheduleTable, WalletBalancesTable, WalletEventsTable, WalletSnapshotsTable } from "./wallets.js";
import type {
  CustomersTable,
  MetersTable,
  ModelCostVersionsTable,
  ModelsTable,
  PlanVersionsTable,
  PlansTable,
  SubscriptionsTable,
} from "./catalog.js";

/** Every table Tollgate owns, as Kysely sees it. */
export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
  meters: MetersTable;
  models: ModelsTable;
  model_cost_versions: ModelCostVersionsTable;
  plans: PlansTable;
  plan_versions: PlanVersionsTable;
  customers: CustomersTable;
  subscriptions: SubscriptionsTable;
  wallet_events: WalletEventsTable;
  wallet_snapshots: WalletSnapshotsTable;
  wallet_balances: WalletBalancesTable;
  allowance_schedule: AllowanceScheduleTable;
  usage_events: UsageEventsTable;
}
