import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { join } from "node:path";
import { backends } from "../support/databases.js";
import { grpcService } from "../support/grpc-client.js";
import { startTestServer, type TestServer } from "../support/server.js";

type Money = { amount: string; currency: string };
type Balance = { available: Money; credits_remaining: Money; reserved: Money; version: string; grants: { grant_id: string; remaining: Money }[] };

describe.each(backends())("WalletService over gRPC on %s Postgres", (backend) => {
  let server: TestServer;
  let wallet: ReturnType<typeof grpcService>;
  let catalog: ReturnType<typeof grpcService>;

  beforeAll(async () => {
    server = await startTestServer(backend, { env: { TOLLGATE_SCHEDULER_INTERVAL_MS: "100", TOLLGATE_EXPIRY_WARNING_LEAD_MS: "60000" } });
    wallet = grpcService(server.grpcAddress, "WalletService", server.apiKey);
    catalog = grpcService(server.grpcAddress, "CatalogService", server.apiKey);
    await catalog.call("CreatePlan", { key: "pro", currency: "USD" });
    await catalog.call("PublishPlanVersion", { plan_key: "pro", version: { prices: [], overage_limit: { amount: "2", currency: "USD" } } });
    for (const id of ["alice", "bob", "carol"]) await catalog.call("CreateCustomer", { customer_id: id, plan_key: "pro" });
  }, 60_000);
  afterAll(async () => {
    wallet.close();
    catalog.close();
    await server.stop();
  });

  it("starts empty in the plan's currency, with the plan's overage limit available", async () => {
    const { balance } = (await wallet.call("GetBalance", { customer_id: "alice" })) as { balance: Balance };
    expect(balance.credits_remaining).toEqual({ amount: "0", currency: "USD" });
    expect(balance.available).toEqual({ amount: "2", currency: "USD" });
  });

  it("grants credits once per grant_id: a retry is a duplicate, changed content ALREADY_EXISTS", async () => {
    const grant = { customer_id: "alice", grant_id: "order-1", amount: { amount: "10.50", currency: "USD" }, source: "GRANT_SOURCE_PURCHASE", priority: 1, reference: "inv-7" };
    const first = (await wallet.call("GrantCredits", grant)) as { balance: Balance; duplicate: boolean };
    expect(first.duplicate).toBe(false);
    expect(first.balance.credits_remaining.amount).toBe("10.5");
    expect(first.balance.available.amount).toBe("12.5");
    const again = (await wallet.call("GrantCredits", grant)) as { balance: Balance; duplicate: boolean };
    expect(again.duplicate).toBe(true);
    expect(again.balance.credits_remaining.amount).toBe("10.5");
    await expect(wallet.call("GrantCredits", { ...grant, amount: { amount: "11", currency: "USD" } })).rejects.toMatchObject({ code: grpc.status.ALREADY_EXISTS });
  });

  it.each([
    ["amount.currency", { amount: { amount: "5", currency: "EUR" }, source: "GRANT_SOURCE_PURCHASE" }],
    ["amount.amount", { amount: { amount: "-5", currency: "USD" }, source: "GRANT_SOURCE_PURCHASE" }],
    ["amount.amount", { amount: { amount: "five", currency: "USD" }, source: "GRANT_SOURCE_PURCHASE" }],
    ["source", { amount: { amount: "5", currency: "USD" } }],
    ["expires_at", { amount: { amount: "5", currency: "USD" }, source: "GRANT_SOURCE_PROMOTION", expires_at: { seconds: "1700000000", nanos: 0 } }],
  ])("refuses a grant with a bad %s and changes nothing", async (field, fields) => {
    const before = (await wallet.call("GetBalance", { customer_id: "bob" })) as { balance: Balance };
    const error = (await wallet.call("GrantCredits", { customer_id: "bob", grant_id: `bad-${field}`, ...fields }).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details.startsWith(field)).toBe(true);
    const after = (await wallet.call("GetBalance", { customer_id: "bob" })) as { balance: Balance };
    expect(after.balance).toEqual(before.balance);
  });

  it("answers NOT_FOUND for a customer of another tenant", async () => {
    const other = grpcService(server.grpcAddress, "WalletService", await server.newTenantKey(`other-${backend}`));
    await expect(other.call("GetBalance", { customer_id: "alice" })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    other.close();
  });

  it("keeps a gapless, typed history", async () => {
    await wallet.call("SetBalanceAlerts", { customer_id: "alice", thresholds: [{ amount: "5", currency: "USD" }] });
    const { events, last_version } = (await wallet.call("ListWalletEvents", { customer_id: "alice", after_version: "0", limit: 100 })) as {
      events: { version: string; type: string; payload: string }[];
      last_version: string;
    };
    expect(events.map((e) => Number(e.version))).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.type)).toEqual(["WalletOpened", "CreditsGranted", "AlertsConfigured"]);
    expect(events.map((e) => e.payload)).toEqual(["wallet_opened", "credits_granted", "alerts_configured"]);
    expect(last_version).toBe("3");
    const page = (await wallet.call("ListWalletEvents", { customer_id: "alice", after_version: "1", limit: 1 })) as { events: { version: string }[] };
    expect(page.events.map((e) => e.version)).toEqual(["2"]);
  });

  it("expires a grant at its expiry through the scheduler and records why", async () => {
    const expiresAt = Date.now() + 1500;
    await wallet.call("GrantCredits", {
      customer_id: "carol",
      grant_id: "promo",
      amount: { amount: "3", currency: "USD" },
      source: "GRANT_SOURCE_PROMOTION",
      expires_at: { seconds: String(Math.floor(expiresAt / 1000)), nanos: (expiresAt % 1000) * 1_000_000 },
    });
    const deadline = Date.now() + 10_000;
    let balance: Balance | undefined;
    while (Date.now() < deadline) {
      balance = ((await wallet.call("GetBalance", { customer_id: "carol" })) as { balance: Balance }).balance;
      if (balance.credits_remaining.amount === "0") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(balance?.credits_remaining.amount).toBe("0");
    const { events } = (await wallet.call("ListWalletEvents", { customer_id: "carol", after_version: "0", limit: 100 })) as {
      events: { type: string; balance_alert_raised?: { alert: { kind: string } } }[];
    };
    const kinds = events.map((e) => (e.type === "BalanceAlertRaised" ? `alert ${e.balance_alert_raised?.alert.kind}` : e.type));
    expect(kinds).toEqual(["WalletOpened", "CreditsGranted", "alert CREDITS_EXPIRING", "CreditsExpired", "alert CREDITS_EXPIRED"]);
  }, 20_000);

  it("grants the plan's included credit at the period start, expiring at its end, once", async () => {
    await catalog.call("CreatePlan", { key: "included", currency: "USD" });
    await catalog.call("PublishPlanVersion", { plan_key: "included", version: { included_credit: { amount: "5", currency: "USD" }, interval: "BILLING_INTERVAL_DAILY" } });
    await catalog.call("CreateCustomer", { customer_id: "dora", plan_key: "included" });
    const deadline = Date.now() + 10_000;
    let balance: Balance | undefined;
    while (Date.now() < deadline) {
      balance = ((await wallet.call("GetBalance", { customer_id: "dora" })) as { balance: Balance }).balance;
      if (balance.credits_remaining.amount === "5") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const now = new Date();
    const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const grant = balance?.grants[0] as unknown as { grant_id: string; source: string; expires_at: { seconds: string } } | undefined;
    expect(balance?.credits_remaining.amount).toBe("5");
    expect(grant?.grant_id).toBe(`allowance:${dayStart.toISOString()}`);
    expect(grant?.source).toBe("GRANT_SOURCE_ALLOWANCE");
    expect(Number(grant?.expires_at.seconds) * 1000).toBe(dayStart.getTime() + 86_400_000);
    await new Promise((r) => setTimeout(r, 400)); // several more ticks
    const { events } = (await wallet.call("ListWalletEvents", { customer_id: "dora", after_version: "0", limit: 100 })) as { events: { type: string }[] };
    expect(events.filter((e) => e.type === "CreditsGranted")).toHaveLength(1);
  }, 20_000);

  it("streams the balance now and after each change (WatchBalance)", async () => {
    const definition = loadSync("tollgate/v1/wallet.proto", { includeDirs: [join(process.cwd(), "proto")], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as { tollgate: { v1: { WalletService: grpc.ServiceClientConstructor } } };
    const client = new pkg.tollgate.v1.WalletService(server.grpcAddress, grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${server.apiKey}`);
    const stream = (client as unknown as { WatchBalance: (r: object, m: grpc.Metadata) => grpc.ClientReadableStream<{ balance: Balance }> }).WatchBalance({ customer_id: "bob" }, metadata);
    const seen: string[] = [];
    const twoUpdates = new Promise<void>((resolve, reject) => {
      stream.on("data", (m: { balance: Balance }) => {
        seen.push(m.balance.credits_remaining.amount);
        if (m.balance.credits_remaining.amount === "4") resolve();
      });
      stream.on("error", (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? undefined : reject(e)));
    });
    await new Promise((r) => setTimeout(r, 200));
    await wallet.call("GrantCredits", { customer_id: "bob", grant_id: "watched", amount: { amount: "4", currency: "USD" }, source: "GRANT_SOURCE_PURCHASE" });
    await twoUpdates;
    stream.cancel();
    client.close();
    // The first message is the balance at subscription; opening the wallet may stream too.
    expect(seen[0]).toBe("0");
    expect(seen.at(-1)).toBe("4");
    expect(seen.length).toBeLessThanOrEqual(3);
  }, 20_000);
});
