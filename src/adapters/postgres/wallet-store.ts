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

  async append(key: WalletKey, expectedVersion: number, events: readonly WalletEvent[], at: Date, extras: AppendExtras): Promise<WriteOutcome> {
    if (events.length === 0) return "written";
    const { balance, nextDueAt, snapshot } = extras;
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto("wallet_events")
          .values(
            events.map((e, i) => ({
              tenant_id: key.tenantId,
              wallet_id: key.walletId,
              version: String(expectedVersion + 1 + i),
              type: e.type,
              payload: encodeWalletEvent(e),
              at,
            })),
          )
          .execute();
        const row = {
          currency: balance.currency,
          version: String(balance.version),
          available: balance.available.toString(),
          credits_remaining: balance.creditsRemaining.toString(),
          reserved: balance.reserved.toString(),
          overage_used: balance.overageUsed.toString(),
          overage_limit: balance.overageLimit.toString(),
          grants: JSON.stringify(
            balance.grants.map((g) => ({
              grantId: g.grantId,
              source: g.source,
              granted: g.granted.toString(),
              remaining: g.remaining.toString(),
              expiresAt: g.expiresAt?.toISOString() ?? null,
              priority: g.priority,
            })),
          ),
          next_due_at: nextDueAt ?? null,
          updated_at: at,
        };
        await trx
          .insertInto("wallet_balances")
          .values({ tenant_id: key.tenantId, wallet_id: key.walletId, ...row })
          .onConflict((oc) => oc.columns(["tenant_id", "wallet_id"]).doUpdateSet(row))
          .execute();
        if (snapshot) {
          const state = { version: String(snapshot.version), state: encodeWalletState(snapshot) };
          await trx
            .insertInto("wallet_snapshots")
            .values({ tenant_id: key.tenantId, wallet_id: key.walletId, ...state })
            .onConflict((oc) => oc.columns(["tenant_id", "wallet_id"]).doUpdateSet(state))
            .execute();
        }
        if (this.announce) {
          await sql`select pg_notify(${walletChannel}, ${JSON.stringify([key.tenantId, key.walletId, balance.version])})`.execute(trx);
        }
      });
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
