import { subscriptionAt } from "../../domain/catalog/customer.js";
import { billingPeriodAt } from "../../domain/catalog/period.js";
import { planVersionAt } from "../../domain/catalog/plan.js";
import type { AllowanceSchedule } from "../ports/allowance-schedule.js";
import type { CatalogRepository } from "../ports/catalog-repository.js";
import type { Clock } from "../ports/clock.js";
import type { WalletKey } from "../ports/wallet-store.js";
import { customerWallet, ensureOpen, periodAllowance } from "./wallet-access.js";
import type { WalletWriter } from "./wallet-writer.js";

/** Most customers handled per tick; the next tick continues. */
const customersPerTickMax = 200;
/** A customer whose plan cannot be read now is tried again this much later. */
const retryLaterMs = 60_000;
/** Overlap when looking for newly created customers, for clock differences between instances. */
const enrollOverlapMs = 5 * 60_000;

/**
 * Grants each plan's `included_credit` as an ALLOWANCE at the start of every billing period,
 * expiring at its end. The grant id is the period (`allowance:<period start>`), so granting is
 * idempotent across retries and instances. After downtime only the current period is granted:
 * earlier allowances would already have expired. A customer joining mid-period gets the whole
 * allowance for that period (no proration).
 */
export class GrantPeriodAllowances {
  /** Customers created before this were enrolled by an earlier tick of this process. */
  private enrolledThrough: Date | undefined;

  constructor(
    private readonly schedule: AllowanceSchedule,
    private readonly catalog: CatalogRepository,
    private readonly writer: WalletWriter,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<{ granted: number }> {
    const now = this.clock.now();
    await this.schedule.enrollMissing(now, this.enrolledThrough);
    this.enrolledThrough = new Date(now.getTime() - enrollOverlapMs);
    let granted = 0;
    for (const key of await this.schedule.due(now, customersPerTickMax)) {
      // One customer failing (say, its wallet is contended) must not hold up the others.
      const next = await this.grantCurrent(key, now).catch(() => ({ granted: false, at: new Date(now.getTime() + retryLaterMs) }));
      if (next.granted) granted++;
      await this.schedule.reschedule(key, next.at);
    }
    return { granted };
  }

  private async grantCurrent(key: WalletKey, now: Date): Promise<{ granted: boolean; at: Date }> {
    const customer = await this.catalog.getCustomer(key.tenantId, key.walletId);
    const later = new Date(now.getTime() + retryLaterMs);
    if (!customer) return { granted: false, at: later };
    const subscription = subscriptionAt(customer, now);
    if (!subscription) return { granted: false, at: customer.subscriptions[0]?.startedAt ?? later };
    const plan = await this.catalog.getPlan(key.tenantId, subscription.planKey);
    const version = plan && planVersionAt(plan, now);
    if (!plan || !version) return { granted: false, at: later };
    const allowance = periodAllowance(plan.key, version, now);
    if (!allowance) return { granted: false, at: billingPeriodAt(version.interval, now).end };
    const wallet = await customerWallet(this.catalog, this.clock, key.tenantId, key.walletId);
    if (!wallet.ok) return { granted: false, at: later };
    await ensureOpen(this.writer, wallet.value, now);
    // The same grant usage would make on its own (see alignWallet): granted once whoever is first.
    const outcome = await this.writer.execute(key, {
      type: "GrantCredits",
      grantId: allowance.grantId,
      amount: allowance.amount,
      source: "ALLOWANCE",
      expiresAt: allowance.expiresAt,
      priority: 0,
      reference: allowance.reference,
      now,
    });
    return { granted: outcome.ok && outcome.value.events.some((e) => e.type === "CreditsGranted"), at: allowance.expiresAt };
  }
}
