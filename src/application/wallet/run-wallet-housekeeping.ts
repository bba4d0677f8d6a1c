import type { Clock } from "../ports/clock.js";
import type { WalletStore } from "../ports/wallet-store.js";
import type { WalletWriter } from "./wallet-writer.js";

/** Most wallets handled per tick; the next tick continues where this one stopped. */
const walletsPerTickMax = 500;

/**
 * One scheduler tick: every wallet whose housekeeping is due (a credit expiring, a hold
 * lapsing, an expiry warning) gets an ordinary command through the writer. Safe with several
 * instances: the aggregate decides each expiry once, and a second instance's command finds
 * nothing left to do. Catches up after downtime because "due" is "at or before now".
 */
export class RunWalletHousekeeping {
  constructor(
    private readonly store: WalletStore,
    private readonly writer: WalletWriter,
    private readonly clock: Clock,
    private readonly expiryWarningLeadMs: number,
  ) {}

  /** `lagMs`: how overdue the oldest due wallet was (0 when none was due). */
  async execute(): Promise<{ wallets: number; events: number; lagMs: number }> {
    const now = this.clock.now();
    const due = await this.store.dueWallets(now, walletsPerTickMax);
    const lagMs = due[0] ? Math.max(0, now.getTime() - due[0].dueAt.getTime()) : 0;
    let events = 0;
    for (const { key } of due) {
      const outcome = await this.writer.execute(key, { type: "WarnExpiringCredits", leadMs: this.expiryWarningLeadMs, now });
      if (outcome.ok) events += outcome.value.events.length;
    }
    return { wallets: due.length, events, lagMs };
  }
}
