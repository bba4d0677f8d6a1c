import { violation } from "../../domain/catalog/field-error.js";
import { parseAmountIn, type MoneyInput } from "../../domain/catalog/input.js";
import type { Decimal } from "../../domain/money/decimal.js";
import { balanceOf, type Balance } from "../../domain/wallet/balance.js";
import { err, ok, type Result } from "../../domain/result.js";
import { invalid, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import { customerWallet, ensureOpen, walletRefusal } from "./wallet-access.js";
import type { WalletWriter } from "./wallet-writer.js";

const thresholdsMax = 20;

/** Replaces the wallet's LOW_BALANCE thresholds. */
export class SetBalanceAlerts {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly writer: WalletWriter,
    private readonly clock: Clock,
  ) {}

  async execute(tenantId: string, customerId: string, thresholds: readonly MoneyInput[]): Promise<Result<Balance, AppError>> {
    const wallet = await customerWallet(this.catalog, this.clock, tenantId, customerId);
    if (!wallet.ok) return wallet;
    if (thresholds.length > thresholdsMax) return invalid(violation("thresholds", `at most ${thresholdsMax} thresholds`));
    const parsed: Decimal[] = [];
    for (const [i, t] of thresholds.entries()) {
      if (t.amount === "") return invalid(violation(`thresholds[${i}].amount`, "is required"));
      const amount = parseAmountIn(`thresholds[${i}]`, t, wallet.value.currency);
      if (!amount.ok) return invalid(amount.error);
      parsed.push(amount.value);
    }
    const now = this.clock.now();
    await ensureOpen(this.writer, wallet.value, now);
    const configured = await this.writer.execute(wallet.value.key, { type: "ConfigureAlerts", thresholds: parsed, now }, balanceOf);
    if (!configured.ok) return err(walletRefusal(configured.error, { amountField: "thresholds" }));
    return ok(configured.value.view);
  }
}
