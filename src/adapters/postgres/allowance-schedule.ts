import { sql, type Kysely } from "kysely";
import type { AllowanceSchedule } from "../../application/ports/allowance-schedule.js";
import type { WalletKey } from "../../application/ports/wallet-store.js";
import type { Database } from "./tables/index.js";

export class PostgresAllowanceSchedule implements AllowanceSchedule {
  constructor(private readonly db: Kysely<Database>) {}

  async enrollMissing(now: Date, since: Date | undefined): Promise<void> {
    const recent = since ? sql`and c.created_at >= ${since}` : sql``;
    await sql`insert into allowance_schedule (tenant_id, customer_id, next_grant_at)
      select c.tenant_id, c.customer_id, ${now} from customers c
      where not exists (select 1 from allowance_schedule s where s.tenant_id = c.tenant_id and s.customer_id = c.customer_id) ${recent}
      on conflict do nothing`.execute(this.db);
  }

  async due(now: Date, limit: number): Promise<readonly WalletKey[]> {
    const rows = await this.db
      .selectFrom("allowance_schedule")
      .select(["tenant_id", "customer_id"])
      .where("next_grant_at", "<=", now)
      .orderBy("next_grant_at")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ tenantId: r.tenant_id, walletId: r.customer_id }));
  }

  async reschedule(key: WalletKey, nextAt: Date): Promise<void> {
    await this.db
      .updateTable("allowance_schedule")
      .set({ next_grant_at: nextAt })
      .where("tenant_id", "=", key.tenantId)
      .where("customer_id", "=", key.walletId)
      .execute();
  }
}
