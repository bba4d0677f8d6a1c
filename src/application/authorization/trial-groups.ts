import type { Customer } from "../../domain/catalog/customer.js";
import { Decimal } from "../../domain/money/decimal.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { WalletWriter } from "../wallet/wallet-writer.js";
import type { KeyedLock } from "./keyed-lock.js";

/**
 * The customers sharing a trial fingerprint, as trial-limit decisions need them: what the others
 * have charged and hold, read and decided on one after another per fingerprint (in this
 * process), since each wallet's single writer orders only its own wallet.
 */
export class TrialGroups {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly writer: WalletWriter,
    private readonly locks: KeyedLock,
  ) {}

  /** Runs `decide` with the others' spend, in order with every other trial decision of the group. */
  run<T>(tenantId: string, customer: Customer, decide: (othersSpend: Decimal) => Promise<T>): Promise<T> {
    const key = `${tenantId}\u0000${customer.fingerprint || `customer:${customer.id}`}`;
    return this.locks.run(key, async () => decide(await this.othersSpend(tenantId, customer)));
  }

  /** What the other customers sharing the fingerprint have charged and hold now. */
  private async othersSpend(tenantId: string, customer: Customer): Promise<Decimal> {
    const ids = customer.fingerprint === "" ? [] : await this.catalog.customerIdsByFingerprint(tenantId, customer.fingerprint);
    let total = Decimal.ZERO;
    for (const id of ids) {
      if (id === customer.id) continue;
      const w = await this.writer.current({ tenantId, walletId: id });
      total = total.plus(w.chargedTotal).plus(w.reserved);
    }
    return total;
  }
}
