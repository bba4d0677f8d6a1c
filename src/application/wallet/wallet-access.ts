import { subscriptionAt, type Customer } from "../../domain/catalog/customer.js";
import { billingPeriodAt } from "../../domain/catalog/period.js";
import { planVersionAt, type Plan, type PlanVersion } from "../../domain/catalog/plan.js";
import { Decimal } from "../../domain/money/decimal.js";
import { ok, type Result } from "../../domain/result.js";
import type { WalletCommand, WalletRejection } from "../../domain/wallet/wallet.decide.js";
import type { Wallet } from "../../domain/wallet/wallet.js";
import { loadCustomerWithPlan } from "../catalog/load-customer.js";
import type { AppError } from "../errors.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import type { WalletKey } from "../ports/wallet-store.js";
import type { WalletWriter } from "./wallet-writer.js";

/** The ALLOWANCE grant a plan version owes a wallet for one billing period. */
export type AllowanceGrant = { readonly grantId: string; readonly amount: Decimal; readonly expiresAt: Date; readonly reference: string };

/**
 * The wallet of a known customer, in its plan's currency, with what the plan in force now gives
 * it: its overage limit and this period's allowance (none outside a subscription or when the
 * plan includes no credit).
 */
export type CustomerWallet = {
  readonly key: WalletKey;
  readonly currency: string;
  readonly overageLimit: Decimal;
  readonly allowance: AllowanceGrant | undefined;
};

/**
 * The allowance `version` of plan `planKey` grants for the billing period containing `now`:
 * its `included_credit`, expiring at the period's end. The grant id is the period
 * (`allowance:<period start>`), so whoever grants it first (the scheduler at the period start,
 * or the first usage of the period) grants it once.
 */
export function periodAllowance(planKey: string, version: PlanVersion, now: Date): AllowanceGrant | undefined {
  if (!version.includedCredit.isPositive()) return undefined;
  const period = billingPeriodAt(version.interval, now);
  return { grantId: `allowance:${period.start.toISOString()}`, amount: version.includedCredit, expiresAt: period.end, reference: `${planKey} v${version.version}` };
}

/**
 * What the customer's wallet is opened and kept in line with at `now`: the currency of its plans
 * (the latest subscription's: plans of one customer share a currency), the overage limit of the
 * plan version in force (a ChangePlan may be dated in the future; before the first subscription
 * starts, the latest plan's), and this period's allowance, only while a subscription is in force.
 */
export function walletTermsOf(tenantId: string, customer: Customer, planOf: (key: string) => Plan | undefined, now: Date): CustomerWallet {
  const key: WalletKey = { tenantId, walletId: customer.id };
  const latest = customer.subscriptions[customer.subscriptions.length - 1];
  const currency = (latest && planOf(latest.planKey)?.currency) ?? "";
  const subscribed = subscriptionAt(customer, now);
  const inForce = subscribed ?? latest;
  const plan = inForce && planOf(inForce.planKey);
  const version = plan && planVersionAt(plan, now);
  const allowance = subscribed && plan && version ? periodAllowance(plan.key, version, now) : undefined;
  return { key, currency, overageLimit: version?.overageLimit ?? Decimal.ZERO, allowance };
}

/** Finds the customer (NOT_FOUND otherwise) and what its wallet is opened with. */
export async function customerWallet(catalog: CatalogRepository, clock: Clock, tenantId: string, customerId: string): Promise<Result<CustomerWallet, AppError>> {
  const loaded = await loadCustomerWithPlan(catalog, tenantId, customerId);
  if (!loaded.ok) return loaded;
  const { customer, plan } = loaded.value;
  const now = clock.now();
  const inForce = subscriptionAt(customer, now);
  const planNow = inForce && inForce.planKey !== plan.key ? await catalog.getPlan(tenantId, inForce.planKey) : undefined;
  return ok(walletTermsOf(tenantId, customer, (key) => (key === plan.key ? plan : key === planNow?.key ? planNow : undefined), now));
}

/**
 * What brings the wallet in line with the customer's plan before usage is written to it: open
 * it on first use, move its overage limit to the one of the plan version in force now (a price
 * version or a plan change may have changed it), and grant this period's allowance if nobody
 * has yet (usage right after a customer is created, or right after a period starts, draws on
 * it instead of going to overage until the scheduler's next tick). Nothing when it is already
 * in line.
 */
export function alignWallet(w: Wallet, wallet: CustomerWallet, now: Date): WalletCommand[] {
  const commands: WalletCommand[] = [];
  if (!w.opened) commands.push({ type: "OpenWallet", currency: wallet.currency, overageLimit: wallet.overageLimit, now });
  else if (!w.overageLimit.eq(wallet.overageLimit)) commands.push({ type: "ChangeOverageLimit", overageLimit: wallet.overageLimit, now });
  const a = wallet.allowance;
  if (a && !w.grants.has(a.grantId) && a.expiresAt.getTime() > now.getTime()) {
    commands.push({ type: "GrantCredits", grantId: a.grantId, amount: a.amount, source: "ALLOWANCE", expiresAt: a.expiresAt, priority: 0, reference: a.reference, now });
  }
  return commands;
}

/** Opens the wallet on first use; a no-op (no write) once it is open. */
export async function ensureOpen(writer: WalletWriter, wallet: CustomerWallet, now: Date): Promise<Wallet> {
  const current = await writer.current(wallet.key);
  if (current.opened) return current;
  const opened = await writer.execute(wallet.key, { type: "OpenWallet", currency: wallet.currency, overageLimit: wallet.overageLimit, now }, (w) => w);
  return opened.ok ? opened.value.view : current;
}

/** What a refusal concerns, so its message can name it. */
export type RefusalContext = {
  readonly grantId?: string;
  readonly reservationId?: string;
  readonly requestId?: string;
  readonly amountField?: string;
  readonly expiryField?: string;
};

/** How a wallet's refusals read to callers. */
export function walletRefusal(rejection: WalletRejection, context: RefusalContext): AppError {
  const amountField = context.amountField ?? "amount";
  switch (rejection) {
    case "GRANT_ID_CONFLICT":
      return { kind: "ALREADY_EXISTS", resource: "grant", id: context.grantId ?? "", detail: `grant "${context.grantId ?? ""}" exists with different content` };
    case "RESERVATION_ID_CONFLICT":
      return { kind: "ALREADY_EXISTS", resource: "reservation", id: context.reservationId ?? "", detail: "a reservation with this id exists with a different amount" };
    case "EXTENSION_CONFLICT":
      return { kind: "ALREADY_EXISTS", resource: "extension", id: context.requestId ?? "", detail: `request_id "${context.requestId ?? ""}" already extended this hold with a different request` };
    case "SETTLEMENT_CONFLICT":
      return { kind: "ALREADY_EXISTS", resource: "reservation", id: context.reservationId ?? "", detail: "this reservation was already settled with different usage" };
    case "AMOUNT_NOT_POSITIVE":
      return { kind: "INVALID_ARGUMENT", violations: [{ field: amountField, description: "must be greater than zero" }] };
    case "AMOUNT_NEGATIVE":
      return { kind: "INVALID_ARGUMENT", violations: [{ field: amountField, description: "must not be negative" }] };
    case "EXPIRY_NOT_IN_FUTURE":
      return { kind: "INVALID_ARGUMENT", violations: [{ field: context.expiryField ?? "expires_at", description: "must be in the future" }] };
    case "CURRENCY_MISMATCH":
      return { kind: "FAILED_PRECONDITION", message: "the wallet is in another currency" };
    case "WALLET_NOT_OPEN":
      return { kind: "FAILED_PRECONDITION", message: "the wallet is not open" };
    case "INSUFFICIENT_FUNDS":
      return { kind: "FAILED_PRECONDITION", message: "insufficient funds" };
    case "SPEND_CAP_REACHED":
      return { kind: "FAILED_PRECONDITION", message: "the customer's spend cap would be exceeded" };
    case "CONCURRENCY_LIMIT_REACHED":
      return { kind: "FAILED_PRECONDITION", message: "the customer has as many open holds as allowed" };
    case "UNKNOWN_RESERVATION":
      return { kind: "NOT_FOUND", resource: "reservation", id: context.reservationId ?? "" };
    case "RESERVATION_CLOSED":
      return { kind: "FAILED_PRECONDITION", message: "the reservation is already settled or released" };
  }
}
