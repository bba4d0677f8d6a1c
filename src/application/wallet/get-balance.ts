import { balanceOf, type Balance } from "../../domain/wallet/balance.js";
import { initialWallet } from "../../domain/wallet/wallet.js";
import { ok, type Result } from "../../domain/result.js";
import type { AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import type { WalletStore } from "../ports/wallet-store.js";
import { customerWallet } from "./wallet-access.js";

/** The customer's balance: one read of the projection. A wallet never used reads as empty. */
export class GetBalance {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly store: WalletStore,
    private readonly clock: Clock,
  ) {}

  async execute(tenantId: string, customerId: string): Promise<Result<Balance, AppError>> {
    const wallet = await customerWallet(this.catalog, this.clock, tenantId, customerId);
    if (!wallet.ok) return wallet;
    const stored = await this.store.getBalance(wallet.value.key);
    if (stored) return ok(stored);
    return ok(balanceOf({ ...initialWallet, currency: wallet.value.currency, overageLimit: wallet.value.overageLimit }));
  }
}
