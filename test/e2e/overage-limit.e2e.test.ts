import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { backends } from "../support/databases.js";
import { grpcService } from "../support/grpc-client.js";
import { startTestServer, type TestServer } from "../support/server.js";

type Money = { amount: string; currency: string };
type Balance = { overage_limit: Money; available: Money; overage_used: Money };

describe.each(backends())("a wallet's overage limit follows the plan in force, on %s Postgres", (backend) => {
  let server: TestServer;
  let call: (service: "CatalogService" | "WalletService" | "AuthorizationService" | "RatingService", method: string, request: object) => Promise<Record<string, unknown>>;

  beforeAll(async () => {
    server = await startTestServer(backend);
    call = (service, method, request) => grpcService(server.grpcAddress, service, server.apiKey).call(method, request);
    for (const key of ["input_tokens", "output_tokens"]) await call("CatalogService", "DefineMeter", { key });
    await call("CatalogService", "DefineModel", { key: "gpt-4o", vendor: "openai", currency: "USD", cost: { expression: "input_tokens * rate_in + output_tokens * rate_out", rates: { rate_in: "0.0000025", rate_out: "0.00001" } } });
    for (const [plan, limit] of [["small", "0.5"], ["large", "4"]] as const) {
      await call("CatalogService", "CreatePlan", { key: plan, currency: "USD" });
      await call("CatalogService", "PublishPlanVersion", { plan_key: plan, version: { prices: [{ model: "gpt-4o", formula: { expression: "cost", rates: {} } }], overage_limit: { amount: limit } } });
    }
    await call("CatalogService", "CreateCustomer", { customer_id: "grows", plan_key: "small" });
  }, 60_000);
  afterAll(() => server.stop());

  const balance = async () => ((await call("WalletService", "GetBalance", { customer_id: "grows" })) as { balance: Balance }).balance;
  const ingest = (id: string) => call("RatingService", "IngestUsage", { events: [{ event_id: id, customer_id: "grows", model: "gpt-4o", quantities: { input_tokens: "1000" } }] });

  it("opens the wallet with the plan's limit, then moves it with a new price version and with a plan change", async () => {
    await ingest("e1");
    expect((await balance()).overage_limit.amount).toBe("0.5");

    // A new version of the same plan raises the limit: the next write to the wallet applies it.
    await call("CatalogService", "PublishPlanVersion", { plan_key: "small", version: { prices: [{ model: "gpt-4o", formula: { expression: "cost", rates: {} } }], overage_limit: { amount: "1" } } });
    await ingest("e2");
    const raised = await balance();
    expect(raised.overage_limit.amount).toBe("1");
    // Two events of 1,000 input tokens at $2.50 per million: 0.005 used from a limit of 1.
    expect(raised.overage_used.amount).toBe("0.005");
    expect(raised.available.amount).toBe("0.995");

    // Moving to the large plan: an authorization already sees the new allowance.
    await call("CatalogService", "ChangePlan", { customer_id: "grows", plan_key: "large" });
    const held = await call("AuthorizationService", "Authorize", { request_id: "r1", customer_id: "grows", model: "gpt-4o", max_charge: { amount: "3", currency: "USD" } });
    expect(held["decision"]).toBe("DECISION_ALLOW");
    expect((await balance()).overage_limit.amount).toBe("4");
  });
});
