import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { GetBalance } from "../../application/wallet/get-balance.js";
import type { GrantCredits } from "../../application/wallet/grant-credits.js";
import type { ListWalletEvents } from "../../application/wallet/list-wallet-events.js";
import type { SetBalanceAlerts } from "../../application/wallet/set-balance-alerts.js";
import type { WatchBalance } from "../../application/wallet/watch-balance.js";
import type {
  GetBalanceRequest,
  GrantCreditsRequest,
  ListWalletEventsRequest,
  SetBalanceAlertsRequest,
  WalletService,
  WatchBalanceRequest,
} from "../../gen/tollgate/v1/wallet_pb.js";
import { moneyInput, optionalTime } from "./catalog-mapping.js";
import { tenantOf } from "./context.js";
import { unwrap } from "./errors.js";
import { alertOut, balanceOut, grantSourceIn, walletEventOut } from "./wallet-mapping.js";

export type WalletUseCases = {
  readonly getBalance: GetBalance;
  readonly grantCredits: GrantCredits;
  readonly listWalletEvents: ListWalletEvents;
  readonly setBalanceAlerts: SetBalanceAlerts;
  readonly watchBalance: WatchBalance;
};

/** tollgate.v1.WalletService: balances, credit grants, history, alerts, live balance. */
export class WalletServiceImpl implements ServiceImpl<typeof WalletService> {
  constructor(private readonly useCases: WalletUseCases) {}

  async getBalance(req: GetBalanceRequest, ctx: HandlerContext) {
    return { balance: balanceOut(req.customerId, unwrap(await this.useCases.getBalance.execute(tenantOf(ctx), req.customerId))) };
  }

  async grantCredits(req: GrantCreditsRequest, ctx: HandlerContext) {
    const result = unwrap(
      await this.useCases.grantCredits.execute(tenantOf(ctx), {
        customerId: req.customerId,
        grantId: req.grantId,
        amount: moneyInput(req.amount),
        source: grantSourceIn(req.source),
        expiresAt: optionalTime(req.expiresAt),
        priority: req.priority,
        reference: req.reference,
      }),
    );
    return { balance: balanceOut(req.customerId, result.balance), duplicate: result.duplicate };
  }

  async listWalletEvents(req: ListWalletEventsRequest, ctx: HandlerContext) {
    const tenantId = tenantOf(ctx);
    const afterVersion = req.afterVersion > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(req.afterVersion);
    const page = unwrap(await this.useCases.listWalletEvents.execute(tenantId, req.customerId, afterVersion, req.limit));
    const currency = unwrap(await this.useCases.getBalance.execute(tenantId, req.customerId)).currency;
    return { events: page.events.map((e) => walletEventOut(e, currency)), lastVersion: BigInt(page.lastVersion) };
  }

  async setBalanceAlerts(req: SetBalanceAlertsRequest, ctx: HandlerContext) {
    const thresholds = req.thresholds.map((t) => ({ amount: t.amount, currency: t.currency }));
    return { balance: balanceOut(req.customerId, unwrap(await this.useCases.setBalanceAlerts.execute(tenantOf(ctx), req.customerId, thresholds))) };
  }

  async *watchBalance(req: WatchBalanceRequest, ctx: HandlerContext) {
    const updates = unwrap(await this.useCases.watchBalance.open(tenantOf(ctx), req.customerId, ctx.signal));
    for await (const update of updates) {
      yield { balance: balanceOut(req.customerId, update.balance), alerts: update.alerts.map((a) => alertOut(a, update.balance.currency)) };
    }
  }
}
