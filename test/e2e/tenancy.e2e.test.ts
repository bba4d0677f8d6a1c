import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { join } from "node:path";
import { backends } from "../support/databases.js";
import { grpcService } from "../support/grpc-client.js";
import { startTestServer, type TestServer } from "../support/server.js";

/*
 * What an API key reaches: only its own tenant's catalog (another tenant's resources are
 * NOT_FOUND and its keys are free to reuse), nothing without a valid key except health, and
 * UNIMPLEMENTED (after authentication) for the capabilities not in this release.
 */

type Timestamp = { seconds: string; nanos: number };
type Meter = { key: string; display_name: string; unit: string };
type Plan = { key: string; display_name: string; currency: string; versions: { version: number; recurring_fee: { amount: string; currency: string } }[] };
type Customer = { customer_id: string; display_name: string; status: string; subscriptions: { plan_key: string }[]; limits: { max_concurrent_reservations: number } };

const ts = (iso: string): Timestamp => ({ seconds: String(Date.parse(iso) / 1000), nanos: 0 });
const gpt4oCost = {
  expression: "input_tokens * rate_in + output_tokens * rate_out",
  rates: { rate_in: "0.0000025", rate_out: "0.00001" },
};

async function refusal(call: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await call;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error("expected the call to be refused, but it succeeded");
}

describe.each(backends())("tenancy and authentication on %s Postgres", (backend) => {
  let server: TestServer;
  let first: ReturnType<typeof grpcService>;
  let second: ReturnType<typeof grpcService>;
  let otherKey: string;
  let firstPlan: Plan;
  let firstCustomer: Customer;

  beforeAll(async () => {
    server = await startTestServer(backend);
    first = grpcService(server.grpcAddress, "CatalogService", server.apiKey);
    await first.call("DefineMeter", { key: "input_tokens", display_name: "Input tokens", unit: "token" });
    await first.call("DefineMeter", { key: "output_tokens", display_name: "Output tokens", unit: "token" });
    await first.call("DefineModel", { key: "gpt-4o", vendor: "openai", tags: ["chat"], cost: gpt4oCost, currency: "USD", effective_from: ts("2024-08-06T00:00:00Z") });
    await first.call("CreatePlan", { key: "pro", display_name: "Pro", currency: "USD" });
    firstPlan = ((await first.call("PublishPlanVersion", {
      plan_key: "pro",
      version: { effective_from: ts("2025-01-01T00:00:00Z"), prices: [{ model: "gpt-4o", formula: { expression: "cost * 1.25", rates: {} } }], recurring_fee: { amount: "20", currency: "USD" } },
    })) as { plan: Plan }).plan;
    firstCustomer = ((await first.call("CreateCustomer", {
      customer_id: "acct-42",
      display_name: "First tenant's customer",
      plan_key: "pro",
      started_at: ts("2025-02-01T00:00:00Z"),
      limits: { max_concurrent_reservations: 3 },
    })) as { customer: Customer }).customer;
    otherKey = await server.newTenantKey("other");
    second = grpcService(server.grpcAddress, "CatalogService", otherKey);
  }, 60_000);

  afterAll(async () => {
    first?.close();
    second?.close();
    await server?.stop();
  });

  describe("tenant isolation", () => {
    it("a second tenant gets its own key, distinct from the first", () => {
      expect(otherKey).toMatch(/^tg\.key_[0-9a-f]{20}\.[A-Za-z0-9_-]{43}$/);
      expect(otherKey).not.toBe(server.apiKey);
    });

    it("a second tenant sees none of the first tenant's meters, models or plans", async () => {
      expect(await second.call("ListMeters", {})).toEqual({ meters: [] });
      expect(await second.call("ListModels", {})).toEqual({ models: [] });
      expect(await second.call("ListModels", { tag: "chat" })).toEqual({ models: [] });
      expect(await second.call("ListPlans", {})).toEqual({ plans: [] });
    });

    it("the first tenant's plan is NOT_FOUND to the second tenant", async () => {
      expect((await refusal(second.call("GetPlan", { plan_key: "pro" }))).code).toBe(grpc.status.NOT_FOUND);
      expect((await refusal(second.call("PublishPlanVersion", { plan_key: "pro", version: { prices: [] } }))).code).toBe(grpc.status.NOT_FOUND);
      expect((await refusal(second.call("CreateCustomer", { customer_id: "newcomer", plan_key: "pro" }))).code).toBe(grpc.status.NOT_FOUND);
      expect(((await first.call("GetPlan", { plan_key: "pro" })) as { plan: Plan }).plan).toEqual(firstPlan);
    });

    it("the first tenant's customer is NOT_FOUND to the second tenant for every customer method", async () => {
      const calls: [string, object][] = [
        ["GetCustomer", { customer_id: "acct-42" }],
        ["ChangePlan", { customer_id: "acct-42", plan_key: "pro", effective_at: ts("2025-06-01T00:00:00Z") }],
        ["UpdateCustomerLimits", { customer_id: "acct-42", limits: {} }],
        ["SetCustomerStatus", { customer_id: "acct-42", status: "CUSTOMER_STATUS_SUSPENDED" }],
      ];
      for (const [method, request] of calls) {
        const error = await refusal(second.call(method, request));
        expect([method, error.code]).toEqual([method, grpc.status.NOT_FOUND]);
      }
      expect(((await first.call("GetCustomer", { customer_id: "acct-42" })) as { customer: Customer }).customer).toEqual(firstCustomer);
    });

    it("the first tenant's meters and models do not exist for the second tenant's formulas and prices", async () => {
      const model = await refusal(second.call("DefineModel", { key: "gpt-4o", vendor: "openai", cost: gpt4oCost, currency: "USD" }));
      expect(model.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(model.details.startsWith("cost.expression: ")).toBe(true);
      expect(model.details).toContain('"input_tokens"');
      await second.call("CreatePlan", { key: "isolation-check", currency: "USD" });
      const price = await refusal(second.call("PublishPlanVersion", { plan_key: "isolation-check", version: { prices: [{ model: "gpt-4o", formula: { expression: "cost * 2", rates: {} } }] } }));
      expect(price.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(price.details.startsWith("version.prices[0].model: ")).toBe(true);
    });

    it("a second tenant can create the same meter, model, plan and customer keys with different content", async () => {
      const meter = (await second.call("DefineMeter", { key: "input_tokens", display_name: "Prompt kilotokens", unit: "kilotoken" })) as { meter: Meter };
      expect(meter.meter).toEqual({ key: "input_tokens", display_name: "Prompt kilotokens", unit: "kilotoken" });
      const model = (await second.call("DefineModel", {
        key: "gpt-4o",
        vendor: "azure",
        tags: ["hosted"],
        cost: { expression: "input_tokens * rate_k", rates: { rate_k: "0.0025" } },
        currency: "EUR",
        effective_from: ts("2025-01-01T00:00:00Z"),
      })) as { model: { vendor: string; cost_versions: { currency: string }[] } };
      expect(model.model.vendor).toBe("azure");
      expect(model.model.cost_versions.map((v) => v.currency)).toEqual(["EUR"]);
      const plan = (await second.call("CreatePlan", { key: "pro", display_name: "Pro (EU)", currency: "EUR" })) as { plan: Plan };
      expect(plan.plan).toMatchObject({ key: "pro", display_name: "Pro (EU)", currency: "EUR", versions: [] });
      const published = (await second.call("PublishPlanVersion", {
        plan_key: "pro",
        version: { prices: [{ model: "*", formula: { expression: "cost * 2", rates: {} } }], recurring_fee: { amount: "9", currency: "EUR" } },
      })) as { plan: Plan };
      expect(published.plan.versions.map((v) => v.recurring_fee)).toEqual([{ amount: "9", currency: "EUR" }]);
      const customer = (await second.call("CreateCustomer", { customer_id: "acct-42", display_name: "Second tenant's customer", plan_key: "pro" })) as { customer: Customer };
      expect(customer.customer).toMatchObject({ customer_id: "acct-42", display_name: "Second tenant's customer", subscriptions: [{ plan_key: "pro" }] });

      // The first tenant's resources of the same keys are untouched.
      expect(((await first.call("ListMeters", {})) as { meters: Meter[] }).meters).toContainEqual({ key: "input_tokens", display_name: "Input tokens", unit: "token" });
      expect(((await first.call("ListModels", {})) as { models: { key: string; vendor: string }[] }).models.map((m) => [m.key, m.vendor])).toEqual([["gpt-4o", "openai"]]);
      expect(((await first.call("GetPlan", { plan_key: "pro" })) as { plan: Plan }).plan).toEqual(firstPlan);
      expect(((await first.call("GetCustomer", { customer_id: "acct-42" })) as { customer: Customer }).customer).toEqual(firstCustomer);
    });

    it("one tenant's changes to a shared customer id never reach the other tenant's customer", async () => {
      await second.call("SetCustomerStatus", { customer_id: "acct-42", status: "CUSTOMER_STATUS_SUSPENDED" });
      await second.call("UpdateCustomerLimits", { customer_id: "acct-42", limits: { max_concurrent_reservations: 99 } });
      const theirs = ((await second.call("GetCustomer", { customer_id: "acct-42" })) as { customer: Customer }).customer;
      expect(theirs.status).toBe("CUSTOMER_STATUS_SUSPENDED");
      expect(theirs.limits.max_concurrent_reservations).toBe(99);
      const ours = ((await first.call("GetCustomer", { customer_id: "acct-42" })) as { customer: Customer }).customer;
      expect(ours.status).toBe("CUSTOMER_STATUS_ACTIVE");
      expect(ours.limits.max_concurrent_reservations).toBe(3);
      expect(ours).toEqual(firstCustomer);
    });
  });

  describe("authentication", () => {
    const badKeys: [string, string | null][] = [
      ["no key", null],
      ["a malformed key", "Bearer-less garbage"],
      ["a well-formed key nobody was given", `tg.key_${"a".repeat(20)}.${"x".repeat(43)}`],
    ];

    it.each(badKeys)("with %s every CatalogService method is UNAUTHENTICATED and changes nothing", async (_what, apiKey) => {
      const calls: [string, object][] = [
        ["DefineMeter", { key: "intruder", unit: "x" }],
        ["ListMeters", {}],
        ["DefineModel", { key: "intruder", cost: { expression: "1", rates: {} }, currency: "USD" }],
        ["ListModels", {}],
        ["CreatePlan", { key: "intruder", currency: "USD" }],
        ["PublishPlanVersion", { plan_key: "pro", version: { prices: [] } }],
        ["GetPlan", { plan_key: "pro" }],
        ["ListPlans", {}],
        ["CreateCustomer", { customer_id: "intruder", plan_key: "pro" }],
        ["GetCustomer", { customer_id: "acct-42" }],
        ["ChangePlan", { customer_id: "acct-42", plan_key: "pro" }],
        ["UpdateCustomerLimits", { customer_id: "acct-42", limits: {} }],
        ["SetCustomerStatus", { customer_id: "acct-42", status: "CUSTOMER_STATUS_SUSPENDED" }],
      ];
      for (const [method, request] of calls) {
        const error = await refusal(first.call(method, request, { apiKey }));
        expect([method, error.code]).toEqual([method, grpc.status.UNAUTHENTICATED]);
      }
      expect(((await first.call("ListMeters", {})) as { meters: Meter[] }).meters.map((m) => m.key)).not.toContain("intruder");
      expect((await refusal(first.call("GetPlan", { plan_key: "intruder" }))).code).toBe(grpc.status.NOT_FOUND);
      expect((await refusal(first.call("GetCustomer", { customer_id: "intruder" }))).code).toBe(grpc.status.NOT_FOUND);
      expect(((await first.call("GetCustomer", { customer_id: "acct-42" })) as { customer: Customer }).customer).toEqual(firstCustomer);
    });

    it("tells a caller without a key how to send one", async () => {
      const error = await refusal(first.call("ListPlans", {}, { apiKey: null }));
      expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(error.details).toContain("authorization: Bearer");
    });

    it("answers grpc.health.v1.Health/Check on the gRPC port without a key", async () => {
      const definition = loadSync("grpc/health/v1/health.proto", { includeDirs: [join(process.cwd(), "third_party", "proto")], keepCase: true, enums: String });
      const health = grpc.loadPackageDefinition(definition) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
      const client = new health.grpc.health.v1.Health(server.grpcAddress, grpc.credentials.createInsecure());
      try {
        const check = (service: string) =>
          new Promise<{ status: string }>((resolve, reject) =>
            (client as unknown as { Check: (r: object, cb: (e: Error | null, v: { status: string }) => void) => void }).Check({ service }, (e, v) => (e ? reject(e) : resolve(v))),
          );
        expect(await check("")).toEqual({ status: "SERVING" });
        expect(await check("tollgate.v1.CatalogService")).toEqual({ status: "SERVING" });
      } finally {
        client.close();
      }
    });
  });

  describe("rating and authorization", () => {
    const rating: ["RatingService" | "AuthorizationService", string, object][] = [
      ["RatingService", "QuotePrice", { customer_id: "acct-42", model: "gpt-4o", quantities: { input_tokens: "1000" } }],
      ["RatingService", "IngestUsage", { events: [] }],
      ["RatingService", "GetUsageSummary", {}],
      ["RatingService", "ListRatedEvents", { customer_id: "acct-42" }],
      ["RatingService", "VerifyEventLog", {}],
    ];
    const pending: ["RatingService" | "AuthorizationService", string, object][] = [
      ["AuthorizationService", "Authorize", { request_id: "r1", customer_id: "acct-42", model: "gpt-4o" }],
      ["AuthorizationService", "Commit", { reservation_id: "res_1", event_id: "e1" }],
      ["AuthorizationService", "Extend", { reservation_id: "res_1" }],
      ["AuthorizationService", "Release", { reservation_id: "res_1" }],
    ];

    it.each(pending)("%s.%s refuses a reservation of another tenant's customer as NOT_FOUND", async (service, method) => {
      const client = grpcService(server.grpcAddress, service, await server.newTenantKey(`stranger-${method}-${backend}`));
      try {
        const request = method === "Authorize" ? { request_id: "r1", customer_id: "acct-42", model: "gpt-4o", max_charge: { amount: "1" } } : { reservation_id: "rsv.YWNjdC00Mg.cjE", event_id: "e1" };
        expect((await refusal(client.call(method, request))).code).toBe(grpc.status.NOT_FOUND);
      } finally {
        client.close();
      }
    });

    it.each([...rating, ...pending])("%s.%s checks the key first: without one it is UNAUTHENTICATED", async (service, method, request) => {
      const client = grpcService(server.grpcAddress, service, server.apiKey);
      try {
        expect((await refusal(client.call(method, request, { apiKey: null }))).code).toBe(grpc.status.UNAUTHENTICATED);
        expect((await refusal(client.call(method, request, { apiKey: "tg.bogus" }))).code).toBe(grpc.status.UNAUTHENTICATED);
      } finally {
        client.close();
      }
    });

    it("WalletService is built: GetBalance answers for a real customer, and needs a key", async () => {
      const wallet = grpcService(server.grpcAddress, "WalletService", server.apiKey);
      try {
        const { balance } = (await wallet.call("GetBalance", { customer_id: "acct-42" })) as { balance: { customer_id: string; available: { currency: string } } };
        expect(balance.customer_id).toBe("acct-42");
        expect(balance.available.currency).toBe("USD");
        expect((await refusal(wallet.call("GetBalance", { customer_id: "acct-42" }, { apiKey: null }))).code).toBe(grpc.status.UNAUTHENTICATED);
      } finally {
        wallet.close();
      }
    });
  });
});
