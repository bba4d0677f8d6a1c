import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { backends } from "../support/databases.js";
import { grpcService } from "../support/grpc-client.js";
import { startTestServer, type TestServer } from "../support/server.js";

type Money = { amount: string; currency: string };
type Grant = { grant_id: string; source: string; granted: Money; remaining: Money; expires_at: { seconds: string } };
type Balance = { available: Money; credits_remaining: Money; overage_used: Money; grants: Grant[] };

// The scheduler is slowed to an hour, so whatever allowance a wallet has here came with its
// first use, not from a scheduler tick.
describe.each(backends())("a period's allowance is there for the first usage of the period, on %s Postgres", (backend) => {
  let server: TestServer;
  let call: (service: "CatalogService" | "WalletService" | "AuthorizationService" | "RatingService", method: string, request: object) => Promise<Record<string, unknown>>;

  beforeAll(async () => {
    server = await startTestServer(backend, { env: { TOLLGATE_SCHEDULER_INTERVAL_MS: "3600000" } });
    call = (service, method, request) => grpcService(server.grpcAddress, service, server.apiKey).call(method, request);
    for (const key of ["input_tokens", "output_tokens"]) await call("CatalogService", "DefineMeter", { key });
    await call("CatalogService", "DefineModel", { key: "gpt-4o", vendor: "openai", currency: "USD", cost: { expression: "input_tokens * rate_in + output_tokens * rate_out", rates: { rate_in: "0.0000025", rate_out: "0.00001" } } });
    // 5 USD included each month and no overage: without the allowance every call below is refused or overage.
    await call("CatalogService", "CreatePlan", { key: "starter", currency: "USD" });
    await call("CatalogService", "PublishPlanVersion", { plan_key: "starter", version: { prices: [{ model: "gpt-4o", formula: { expression: "cost", rates: {} } }], included_credit: { amount: "5" } } });
  }, 60_000);
  afterAll(() => server.stop());

  const balance = async (customer: string) => ((await call("WalletService", "GetBalance", { customer_id: customer })) as { balance: Balance }).balance;
  const monthStart = () => {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  };

  it("usage ingested right after the customer is created draws on the allowance, not on overage", async () => {
    await call("CatalogService", "CreateCustomer", { customer_id: "new-ingest", plan_key: "starter" });
    // 100,000 input tokens at $2.50 per million: 0.25.
    const { results } = (await call("RatingService", "IngestUsage", { events: [{ event_id: "first", customer_id: "new-ingest", model: "gpt-4o", quantities: { input_tokens: "100000" } }] })) as { results: { status: string }[] };
    expect(results[0]?.status).toBe("INGEST_STATUS_ACCEPTED");
    const b = await balance("new-ingest");
    expect(b.overage_used.amount).toBe("0");
    expect(b.credits_remaining.amount).toBe("4.75");
    const start = monthStart();
    expect(b.grants).toHaveLength(1);
    expect(b.grants[0]?.grant_id).toBe(`allowance:${start.toISOString()}`);
    expect(b.grants[0]?.source).toBe("GRANT_SOURCE_ALLOWANCE");
    const end = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1);
    expect(Number(b.grants[0]?.expires_at.seconds) * 1000).toBe(end);
  });

  it("Authorize right after the customer is created can hold against the allowance, and it is granted once", async () => {
    await call("CatalogService", "CreateCustomer", { customer_id: "new-authz", plan_key: "starter" });
    const allowed = (await call("AuthorizationService", "Authorize", { request_id: "r1", customer_id: "new-authz", model: "gpt-4o", max_charge: { amount: "1", currency: "USD" } })) as { decision: string; reservation_id: string; available: Money };
    expect(allowed.decision).toBe("DECISION_ALLOW");
    expect(allowed.available.amount).toBe("4");
    await call("AuthorizationService", "Commit", { reservation_id: allowed.reservation_id, event_id: "c1", quantities: { input_tokens: "200000" } });
    const again = (await call("AuthorizationService", "Authorize", { request_id: "r2", customer_id: "new-authz", model: "gpt-4o", max_charge: { amount: "1", currency: "USD" } })) as { decision: string; reservation_id: string };
    expect(again.decision).toBe("DECISION_ALLOW");
    await call("AuthorizationService", "Release", { reservation_id: again.reservation_id });
    const b = await balance("new-authz");
    expect(b.credits_remaining.amount).toBe("4.5");
    expect(b.available.amount).toBe("4.5");
    const { events } = (await call("WalletService", "ListWalletEvents", { customer_id: "new-authz", after_version: "0", limit: 100 })) as { events: { type: string }[] };
    expect(events.filter((e) => e.type === "CreditsGranted")).toHaveLength(1);
  });

  it("a hold beyond the allowance is still refused for lack of funds", async () => {
    await call("CatalogService", "CreateCustomer", { customer_id: "new-big", plan_key: "starter" });
    const denied = (await call("AuthorizationService", "Authorize", { request_id: "big", customer_id: "new-big", model: "gpt-4o", max_charge: { amount: "6", currency: "USD" } })) as { decision: string; reason: string; available: Money };
    expect(denied.decision).toBe("DECISION_DENY");
    expect(denied.reason).toBe("DENY_REASON_INSUFFICIENT_FUNDS");
    expect(denied.available.amount).toBe("5");
  });
});
