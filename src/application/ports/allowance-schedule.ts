import type { WalletKey } from "./wallet-store.js";
import { token } from "./token.js";

/**
 * When each customer's next period allowance is due. New customers are enrolled as due now;
 * after each grant the next date is the end of the period just granted.
 */
export interface AllowanceSchedule {
  /**
   * Enrolls customers not yet scheduled, due at `now`: those created since `since`, or every
   * customer when `since` is undefined (a full scan, done once per process).
   */
  enrollMissing(now: Date, since: Date | undefined): Promise<void>;
  due(now: Date, limit: number): Promise<readonly WalletKey[]>;
  reschedule(key: WalletKey, nextAt: Date): Promise<void>;
}
export const AllowanceSchedule = token<AllowanceSchedule>("AllowanceSchedule");
