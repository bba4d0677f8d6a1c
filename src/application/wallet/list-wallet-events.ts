import { violation } from "../../domain/catalog/field-error.js";
import { ok, type Result } from "../../domain/result.js";
import { invalid, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import type { StoredWalletEvent, WalletStore } from "../ports/wallet-store.js";
import { customerWallet } from "./wallet-access.js";

const pageSizeMax = 1000;
const pageSizeDefault = 100;

/** A page of the wallet's history, oldest first, after a version. */
export class ListWalletEvents {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly store: WalletStore,
    private readonly clock: Clock,
  ) {}

  async execute(tenantId: string, customerId: string, afterVersion: number, limit: number): Promise<Result<{ events: readonly StoredWalletEvent[]; lastVersion: number }, AppError>> {
    if (!Number.isSafeInteger(afterVersion) || afterVersion < 0) return invalid(violation("after_version", "must be zero or a positive version"));
    if (!Number.isInteger(limit) || limit < 0 || limit > pageSizeMax) return invalid(violation("limit", `must be between 1 and ${pageSizeMax} (0 = ${pageSizeDefault})`));
    const wallet = await customerWallet(this.catalog, this.clock, tenantId, customerId);
    if (!wallet.ok) return wallet;
    const events = await this.store.listEvents(wallet.value.key, afterVersion, limit || pageSizeDefault);
    const balance = await this.store.getBalance(wallet.value.key);
    return ok({ events, lastVersion: balance?.version ?? 0 });
  }
}
