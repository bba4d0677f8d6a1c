import { sql, type Kysely } from "kysely";
import type { WriteOutcome } from "../../application/ports/catalog-repository.js";
import type { AppendExtras, StoredWalletEvent, WalletKey, WalletStore } from "../../application/ports/wallet-store.js";
import type { Balance } from "../../domain/wallet/balance.js";
import type { GrantSource, WalletEvent } from "../../domain/wallet/events.js";
import { initialWallet, replay, type Wallet } from "../../domain/wallet/wallet.js";
import { decimalFromDb } from "./decimal-column.js";
import { isUniqueViolation } from "./pg-errors.js";
import type { Database } from "./tables/index.js";
import { decodeWalletEvent, decodeWalletState, encodeWalletEvent, encodeWalletState } from "./wallet-codec.js";

/** Channel on which server Postgres announces wallet changes to every instance. */
export const walletChannel = "tollgate_wallet";

/**
 * Wallet events, snapshots and the balance projection through Kysely. One append is one
 * transaction: a multi-row insert of the events (the primary key on version refuses a
 * concurrent writer), the projection row, and the snapshot when one is due.
 */
export class PostgresWalletStore implements WalletStore {
  constructor(
    private readonly db: Kysely<Database>,
    /** Announce each append with NOTIFY (server Postgres with several instances). */
    private readonly announce: boolean,
  ) {}

  async load(key: WalletKey): Promise<Wallet> {
    const snapshot = await this.db
      .selectFrom("wallet_snapshots")
      .select(["version", "state"])
      .where("tenant_id", "=", key.tenantId)
      .where("wallet_id", "=", key.walletId)
      .executeTakeFirst();
    const from = snapshot ? decodeWalletState(snapshot.state) : initialWallet;
    const rows = await this.db
      .selectFrom("wallet_events")
      .select(["type", "payload"])
      .where("tenant_id", "=", key.tenantId)
      .where("wallet_id", "=", key.walletId)
      .where("version", ">", String(from.version))
      .orderBy("version")
      .execute();
    return replay(
      rows.map((r) => decodeWalletEvent(r.type, r.payload)),
      from,
    );
  }

  /**
   * One statement, so one round trip and one implicit transaction: the events insert, the
   * projection upsert, the snapshot (when due) and the NOTIFY (on server Postgres) travel as
   * data-modifying CTEs of a single query. A statement is atomic, so either all of it happens or
   * none; a taken version fails the whole statement with a unique violation ("conflict").
   */
  async append(key: WalletKey, expectedVersion: number, events: readonly WalletEvent[], at: Date, extras: AppendExtras): Promise<WriteOutcome> {
    if (events.length === 0) return "written";
    const { balance, nextDueAt, snapshot } = extras;
    const eventRows = sql.join(
      events.map((e, i) => sql`(${key.tenantId}, ${key.walletId}, ${String(expectedVersion + 1 + i)}::bigint, ${e.type}, ${encodeWalletEvent(e)}::jsonb, ${at})`),
    );
    const grants = JSON.stringify(
      balance.grants.map((g) => ({
        grantId: g.grantId,
        source: g.source,
        granted: g.granted.toString(),
        remaining: g.remaining.toString(),
        expiresAt: g.expiresAt?.toISOString() ?? null,
        priority: g.priority,
      })),
    );
    const snapshotCte = snapshot
      ? sql`, snap as (
          insert into wallet_snapshots (tenant_id, wallet_id, version, state)
          values (${key.tenantId}, ${key.walletId}, ${String(snapshot.version)}::bigint, ${encodeWalletState(snapshot)}::jsonb)
          on conflict (tenant_id, wallet_id) do update set version = excluded.version, state = excluded.state
          returning 1)`
      : sql``;
    const notifyCte = this.announce ? sql`, announced as (select pg_notify(${walletChannel}, ${JSON.stringify([key.tenantId, key.walletId, balance.version])}))` : sql``;
    try {
      await sql`
        with ev as (
          insert into wallet_events (tenant_id, wallet_id, version, type, payload, at) values ${eventRows} returning 1
        ), bal as (
          insert into wallet_balances (tenant_id, wallet_id, currency, version, available, credits_remaining, reserved,
                                       overage_used, overage_limit, grants, next_due_at, updated_at)
          values (${key.tenantId}, ${key.walletId}, ${balance.currency}, ${String(balance.version)}::bigint,
                  ${balance.available.toString()}::numeric, ${balance.creditsRemaining.toString()}::numeric,
                  ${balance.reserved.toString()}::numeric, ${balance.overageUsed.toString()}::numeric,
                  ${balance.overageLimit.toString()}::numeric, ${grants}::jsonb, ${nextDueAt ?? null}::timestamptz, ${at})
          on conflict (tenant_id, wallet_id) do update set
            currency = excluded.currency, version = excluded.version, available = excluded.available,
            credits_remaining = excluded.credits_remaining, reserved = excluded.reserved,
            overage_used = excluded.overage_used, overage_limit = excluded.overage_limit, grants = excluded.grants,
            next_due_at = excluded.next_due_at, updated_at = excluded.updated_at
          returning 1
        )${snapshotCte}${notifyCte}
        select (select count(*) from ev) as events${snapshot ? sql`, (select count(*) from snap) as snapshots` : sql``}${this.announce ? sql`, (select count(*) from announced) as announced` : sql``}
      `.execute(this.db);
      return "written";
    } catch (error) {
      if (isUniqueViolation(error)) return "conflict";
      throw error;
    }
  }

  async listEvents(key: WalletKey, afterVersion: number, limit: number): Promise<readonly StoredWalletEvent[]> {
    const rows = await this.db
      .selectFrom("wallet_events")
      .select(["version", "type", "payload", "at"])
      .where("tenant_id", "=", key.tenantId)
      .where("wallet_id", "=", key.walletId)
      .where("version", ">", String(afterVersion))
      .orderBy("version")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ version: Number(r.version), at: r.at, event: decodeWalletEvent(r.type, r.payload) }));
  }

  async getBalance(key: WalletKey): Promise<Balance | undefined> {
    const row = await this.db
      .selectFrom("wallet_balances")
      .selectAll()
      .where("tenant_id", "=", key.tenantId)
      .where("wallet_id", "=", key.walletId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      currency: row.currency,
      version: Number(row.version),
      available: decimalFromDb(row.available),
      creditsRemaining: decimalFromDb(row.credits_remaining),
      reserved: decimalFromDb(row.reserved),
      overageUsed: decimalFromDb(row.overage_used),
      overageLimit: decimalFromDb(row.overage_limit),
      grants: row.grants.map((g) => ({
        grantId: g.grantId,
        source: g.source as GrantSource,
        granted: decimalFromDb(g.granted),
        remaining: decimalFromDb(g.remaining),
        expiresAt: g.expiresAt ? new Date(g.expiresAt) : undefined,
        priority: g.priority,
      })),
    };
  }

  async dueWallets(now: Date, limit: number): Promise<readonly WalletKey[]> {
    const rows = await this.db
      .selectFrom("wallet_balances")
      .select(["tenant_id", "wallet_id"])
      .where("next_due_at", "<=", now)
      .orderBy("next_due_at")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ tenantId: r.tenant_id, walletId: r.wallet_id }));
  }
}
