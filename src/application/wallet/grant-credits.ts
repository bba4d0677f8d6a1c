import { violation } from "../../domain/catalog/field-error.js";
import { parseAmountIn, parseTimeField, type MoneyInput } from "../../domain/catalog/input.js";
import { parseDisplayText, parseExternalId } from "../../domain/catalog/keys.js";
import { balanceOf, type Balance } from "../../domain/wallet/balance.js";
import type { GrantSource } from "../../domain/wallet/events.js";
import { err, ok, type Result } from "../../domain/result.js";
import { invalid, type AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import { customerWallet, ensureOpen, walletRefusal } from "./wallet-access.js";
import type { WalletWriter } from "./wallet-writer.js";

export type GrantCreditsInput = {
  readonly customerId: string;
  readonly grantId: string;
  readonly amount: MoneyInput | undefined;
  readonly source: GrantSource | undefined;
  readonly expiresAt: Date | undefined;
  readonly priority: number;
  readonly reference: string;
};

/** Adds credits to a customer's wallet; idempotent by grant_id. */
export class GrantCredits {
  constructor(
    private readonly catalog: CatalogRepository,
    private readonly writer: WalletWriter,
    private readonly clock: Clock,
  ) {}

  async execute(tenantId: string, input: GrantCreditsInput): Promise<Result<{ balance: Balance; duplicate: boolean }, AppError>> {
    const wallet = await customerWallet(this.catalog, this.clock, tenantId, input.customerId);
    if (!wallet.ok) return wallet;
    const grantId = parseExternalId("grant_id", input.grantId);
    if (!grantId.ok) return invalid(grantId.error);
    if (input.amount === undefined || input.amount.amount === "") return invalid(violation("amount.amount", "is required"));
    const amount = parseAmountIn("amount", { amount: input.amount.amount, currency: input.amount.currency }, wallet.value.currency);
    if (!amount.ok) {
      const described = amount.error.field === "amount.currency" ? violation("amount.currency", `must be ${wallet.value.currency}, the wallet's currency, got "${input.amount.currency}"`) : amount.error;
      return invalid(described);
    }
    if (input.source === undefined) return invalid(violation("source", "is required: PURCHASE, PROMOTION, ALLOWANCE, REFUND or ADJUSTMENT"));
    const now = this.clock.now();
    if (input.expiresAt !== undefined) {
      const expiresAt = parseTimeField("expires_at", input.expiresAt, now);
      if (!expiresAt.ok) return invalid(expiresAt.error);
      // Checked here as well as in the wallet so a refused grant does not even open the wallet.
      if (expiresAt.value.getTime() <= now.getTime()) return invalid(violation("expires_at", "must be in the future"));
    }
    const reference = parseDisplayText("reference", input.reference, 256);
    if (!reference.ok) return invalid(reference.error);
    await ensureOpen(this.writer, wallet.value, now);
    const granted = await this.writer.execute(wallet.value.key, {
      type: "GrantCredits",
      grantId: grantId.value,
      amount: amount.value,
      source: input.source,
      expiresAt: input.expiresAt,
      priority: input.priority,
      reference: reference.value,
      now,
    }, balanceOf);
    if (!granted.ok) return err(walletRefusal(granted.error, { grantId: grantId.value, amountField: "amount.amount" }));
    const duplicate = !granted.value.events.some((e) => e.type === "CreditsGranted");
    return ok({ balance: granted.value.view, duplicate });
  }
}
