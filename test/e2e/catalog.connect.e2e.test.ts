import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { backends } from "../support/databases.js";
import { connectJson } from "../support/grpc-client.js";
import { startTestServer, type TestServer } from "../support/server.js";

/*
 * The curl path: Connect JSON over HTTP/1.1 on the HTTP port. Fields are camelCase, enums are
 * strings, timestamps RFC 3339 strings, and refusals are Connect errors
 * (`{code: "invalid_argument", message}`) with the matching HTTP status.
 */

type Body = Record<string, unknown>;
type Money = { amount: string; currency: string };

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const tokenExpression = "input_tokens * rate_in + output_tokens * rate_out + cached_input_tokens * rate_cached";
const gpt4oCost = { expression: tokenExpression, rates: { rate_in: "0.0000025", rate_out: "0.00001", rate_cached: "0.00000125" } };
const sonnet4Cost = { expression: tokenExpression, rates: { rate_in: "0.000003", rate_out: "0.000015", rate_cached: "0.0000003" } };
const usd = (amount: string): Money => ({ amount, currency: "USD" });

describe.each(backends())("CatalogService over Connect JSON on %s Postgres", (backend) => {
  let server: TestServer;
  const catalog = (method: string, body: unknown, apiKey: string | null = server.apiKey) => connectJson(server.httpUrl, `tollgate.v1.CatalogService/${method}`, body, apiKey);

  /** Calls and expects 200, returning the JSON body. */
  const ok = async (method: string, body: unknown): Promise<Body> => {
    const response = await catalog(method, body);
    if (response.status !== 200) throw new Error(`${method} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  };

  beforeAll(async () => {
    server = await startTestServer(backend);
  }, 60_000);
  afterAll(() => server?.stop());

  describe("the main flow with camelCase JSON", () => {
    const proVersion = {
      effectiveFrom: "2025-01-01T00:00:00Z",
      prices: [
        { model: "claude-sonnet-4", formula: { expression: tokenExpression, rates: { rate_in: "0.0000036", rate_out: "0.000018", rate_cached: "0.00000036" } } },
        { model: "*", formula: { expression: "cost * 1.25" } },
      ],
      recurringFee: usd("20"),
      interval: "BILLING_INTERVAL_DAILY",
      includedCredit: usd("5"),
      overageLimit: usd("10.5"),
      trialCredit: usd("1.25"),
      routing: "ROUTING_POLICY_HIGHEST_MARGIN",
    };
    let publishedPlan: Body;
    let createdCustomer: Body;

    it("defines meters and lists them by key", async () => {
      for (const key of ["output_tokens", "input_tokens", "cached_input_tokens"]) {
        const body = await ok("DefineMeter", { key, displayName: key.replace(/_/g, " "), unit: "token" });
        expect(body).toEqual({ meter: { key, displayName: key.replace(/_/g, " "), unit: "token" } });
      }
      const { meters } = (await ok("ListMeters", {})) as { meters: { key: string }[] };
      expect(meters.map((m) => m.key)).toEqual(["cached_input_tokens", "input_tokens", "output_tokens"]);
    });

    it("defines GPT-4o and Claude Sonnet 4 with their public prices and RFC 3339 effective times", async () => {
      const gpt = await ok("DefineModel", { key: "gpt-4o", vendor: "openai", displayName: "GPT-4o", tags: ["chat", "vision"], cost: gpt4oCost, currency: "USD", effectiveFrom: "2024-08-06T00:00:00Z" });
      expect(gpt).toEqual({
        model: {
          key: "gpt-4o",
          vendor: "openai",
          displayName: "GPT-4o",
          tags: ["chat", "vision"],
          costVersions: [{ version: 1, effectiveFrom: "2024-08-06T00:00:00Z", cost: gpt4oCost, currency: "USD" }],
        },
      });
      const sonnet = (await ok("DefineModel", {
        key: "claude-sonnet-4",
        vendor: "anthropic",
        displayName: "Claude Sonnet 4",
        tags: ["chat", "reasoning"],
        cost: sonnet4Cost,
        currency: "USD",
        effectiveFrom: "2025-05-22T00:00:00Z",
      })) as { model: { costVersions: { cost: unknown }[] } };
      expect(sonnet.model.costVersions[0]?.cost).toEqual(sonnet4Cost);
      const vision = (await ok("ListModels", { tag: "vision" })) as { models: { key: string }[] };
      expect(vision.models.map((m) => m.key)).toEqual(["gpt-4o"]);
      const all = (await ok("ListModels", {})) as { models: { key: string }[] };
      expect(all.models.map((m) => m.key)).toEqual(["claude-sonnet-4", "gpt-4o"]);
    });

    it("creates a plan and publishes a version whose every field comes back exactly", async () => {
      const created = (await ok("CreatePlan", { key: "pro", displayName: "Pro", currency: "USD" })) as { plan: Body };
      expect(created.plan).toMatchObject({ key: "pro", displayName: "Pro", currency: "USD" });
      expect(created.plan["createdAt"]).toMatch(rfc3339);
      expect((created.plan["versions"] as unknown[] | undefined) ?? []).toEqual([]);

      const published = (await ok("PublishPlanVersion", { planKey: "pro", version: proVersion })) as { plan: { versions: Body[] } };
      expect(published.plan.versions).toHaveLength(1);
      const [v1] = published.plan.versions;
      const { prices, ...rest } = v1 as Body & { prices: { model: string; formula: { expression: string; rates?: Record<string, string> } }[] };
      expect(rest).toEqual({
        version: 1,
        effectiveFrom: "2025-01-01T00:00:00Z",
        recurringFee: usd("20"),
        interval: "BILLING_INTERVAL_DAILY",
        includedCredit: usd("5"),
        overageLimit: usd("10.5"),
        trialCredit: usd("1.25"),
        routing: "ROUTING_POLICY_HIGHEST_MARGIN",
        publishedAt: expect.stringMatching(rfc3339),
      });
      expect(prices.map((p) => p.model)).toEqual(["claude-sonnet-4", "*"]);
      expect(prices[0]?.formula).toEqual(proVersion.prices[0]?.formula);
      expect(prices[1]?.formula.expression).toBe("cost * 1.25");
      expect(prices[1]?.formula.rates ?? {}).toEqual({});
      publishedPlan = published.plan;
    });

    it("GetPlan and ListPlans return the plan as published", async () => {
      expect(await ok("GetPlan", { planKey: "pro" })).toEqual({ plan: publishedPlan });
      const { plans } = (await ok("ListPlans", {})) as { plans: Body[] };
      expect(plans).toEqual([publishedPlan]);
    });

    it("creates a customer with a past start, trial, fingerprint and limits, and gets it back", async () => {
      const body = (await ok("CreateCustomer", {
        customerId: "cus_curl",
        displayName: "Curl Customer",
        planKey: "pro",
        startedAt: "2025-02-01T00:00:00Z",
        trialEndsAt: "2025-02-15T00:00:00Z",
        fingerprint: "fp:curl",
        limits: { dailySpendCap: usd("25"), monthlySpendCap: usd("500"), maxConcurrentReservations: 4, maxAuthorizationsPerSecond: 20 },
      })) as { customer: Body };
      expect(body.customer).toEqual({
        customerId: "cus_curl",
        displayName: "Curl Customer",
        subscriptions: [{ planKey: "pro", startedAt: "2025-02-01T00:00:00Z" }],
        limits: { dailySpendCap: usd("25"), monthlySpendCap: usd("500"), maxConcurrentReservations: 4, maxAuthorizationsPerSecond: 20 },
        status: "CUSTOMER_STATUS_ACTIVE",
        trialEndsAt: "2025-02-15T00:00:00Z",
        fingerprint: "fp:curl",
        createdAt: expect.stringMatching(rfc3339),
      });
      createdCustomer = body.customer;
      expect(await ok("GetCustomer", { customerId: "cus_curl" })).toEqual({ customer: createdCustomer });
    });

    it("changes the customer's plan at an instant, updates limits and suspends", async () => {
      await ok("CreatePlan", { key: "team", currency: "USD" });
      const changed = (await ok("ChangePlan", { customerId: "cus_curl", planKey: "team", effectiveAt: "2025-03-01T00:00:00Z" })) as { customer: Body };
      expect(changed.customer["subscriptions"]).toEqual([
        { planKey: "pro", startedAt: "2025-02-01T00:00:00Z", endedAt: "2025-03-01T00:00:00Z" },
        { planKey: "team", startedAt: "2025-03-01T00:00:00Z" },
      ]);
      const limited = (await ok("UpdateCustomerLimits", { customerId: "cus_curl", limits: { maxConcurrentReservations: 1 } })) as { customer: { limits: Body } };
      expect(limited.customer.limits).toMatchObject({ dailySpendCap: usd("0"), monthlySpendCap: usd("0"), maxConcurrentReservations: 1 });
      expect(limited.customer.limits["maxAuthorizationsPerSecond"] ?? 0).toBe(0);
      const suspended = (await ok("SetCustomerStatus", { customerId: "cus_curl", status: "CUSTOMER_STATUS_SUSPENDED" })) as { customer: Body };
      expect(suspended.customer["status"]).toBe("CUSTOMER_STATUS_SUSPENDED");
      const fetched = (await ok("GetCustomer", { customerId: "cus_curl" })) as { customer: Body };
      expect(fetched.customer["status"]).toBe("CUSTOMER_STATUS_SUSPENDED");
      expect(fetched.customer["subscriptions"]).toEqual(changed.customer["subscriptions"]);
    });

    it("accepts the proto field names as well as the JSON names", async () => {
      const body = await ok("DefineMeter", { key: "images", display_name: "Images", unit: "image" });
      expect(body).toEqual({ meter: { key: "images", displayName: "Images", unit: "image" } });
    });
  });

  describe("Connect errors and HTTP statuses", () => {
    beforeAll(async () => {
      await ok("CreatePlan", { key: "errors-usd", currency: "USD" });
      await ok("CreatePlan", { key: "errors-eur", currency: "EUR" });
      await ok("CreateCustomer", { customerId: "cus_errors", planKey: "errors-usd", startedAt: "2025-01-01T00:00:00Z" });
    });

    it("a bad meter key is 400 invalid_argument naming the field, with a BadRequest detail", async () => {
      const response = await catalog("DefineMeter", { key: "Input-Tokens", unit: "token" });
      expect(response.status).toBe(400);
      expect(response.body["code"]).toBe("invalid_argument");
      expect(String(response.body["message"]).startsWith("key: ")).toBe(true);
      const details = response.body["details"] as { type: string }[] | undefined;
      expect(details?.map((d) => d.type)).toEqual(["google.rpc.BadRequest"]);
      const { meters } = (await ok("ListMeters", {})) as { meters?: { key: string }[] };
      expect((meters ?? []).map((m) => m.key)).not.toContain("Input-Tokens");
    });

    it("a price formula with an unknown meter is 400 naming the price and column", async () => {
      const response = await catalog("PublishPlanVersion", {
        planKey: "errors-usd",
        version: { prices: [{ model: "*", formula: { expression: "cost + input_tokenz * rate", rates: { rate: "0.000001" } } }] },
      });
      expect(response.status).toBe(400);
      expect(response.body["code"]).toBe("invalid_argument");
      expect(String(response.body["message"]).startsWith("version.prices[0].formula.expression: ")).toBe(true);
      expect(response.body["message"]).toContain("column 8");
      const plan = (await ok("GetPlan", { planKey: "errors-usd" })) as { plan: Body };
      expect((plan.plan["versions"] as unknown[] | undefined) ?? []).toEqual([]);
    });

    it.each([
      ["a recurring fee that is not a number", { recurringFee: { amount: "abc", currency: "USD" } }, "version.recurring_fee.amount: "],
      ["included credit in another currency", { includedCredit: { amount: "5", currency: "EUR" } }, "version.included_credit.currency: "],
      ["an effective time before 2000", { effectiveFrom: "1999-01-01T00:00:00Z" }, "version.effective_from: "],
    ])("a version with %s is 400 naming the snake_case field path", async (_what, override, prefix) => {
      const response = await catalog("PublishPlanVersion", { planKey: "errors-usd", version: { prices: [], ...override } });
      expect(response.status).toBe(400);
      expect(response.body["code"]).toBe("invalid_argument");
      expect(String(response.body["message"]).startsWith(prefix)).toBe(true);
    });

    it("an unknown plan or customer is 404 not_found", async () => {
      const plan = await catalog("GetPlan", { planKey: "nope" });
      expect(plan.status).toBe(404);
      expect(plan.body).toEqual({ code: "not_found", message: 'plan "nope" not found' });
      const customer = await catalog("GetCustomer", { customerId: "nobody" });
      expect(customer.status).toBe(404);
      expect(customer.body["code"]).toBe("not_found");
      const created = await catalog("CreateCustomer", { customerId: "orphan", planKey: "nope" });
      expect(created.status).toBe(404);
      expect(created.body["code"]).toBe("not_found");
    });

    it("the same plan key with another currency is 409 already_exists", async () => {
      const response = await catalog("CreatePlan", { key: "errors-usd", currency: "EUR" });
      expect(response.status).toBe(409);
      expect(response.body["code"]).toBe("already_exists");
      const plan = (await ok("GetPlan", { planKey: "errors-usd" })) as { plan: Body };
      expect(plan.plan["currency"]).toBe("USD");
    });

    it("a plan change to another currency is failed_precondition", async () => {
      const response = await catalog("ChangePlan", { customerId: "cus_errors", planKey: "errors-eur", effectiveAt: "2025-02-01T00:00:00Z" });
      expect(response.status).toBe(400);
      expect(response.body["code"]).toBe("failed_precondition");
      const customer = (await ok("GetCustomer", { customerId: "cus_errors" })) as { customer: { subscriptions: unknown[] } };
      expect(customer.customer.subscriptions).toHaveLength(1);
    });

    it.each([
      ["no key", null],
      ["a malformed key", "definitely-not-a-key"],
      ["a well-formed key nobody was given", `tg.key_${"f".repeat(20)}.${"Z".repeat(43)}`],
    ] as [string, string | null][])("%s is 401 unauthenticated and changes nothing", async (_what, apiKey) => {
      const list = await catalog("ListPlans", {}, apiKey);
      expect(list.status).toBe(401);
      expect(list.body["code"]).toBe("unauthenticated");
      const create = await catalog("CreatePlan", { key: "intruder", currency: "USD" }, apiKey);
      expect(create.status).toBe(401);
      expect(create.body["code"]).toBe("unauthenticated");
      expect((await catalog("GetPlan", { planKey: "intruder" })).status).toBe(404);
    });

    it("a second tenant's key sees nothing of the first tenant", async () => {
      const otherKey = await server.newTenantKey(`connect-other-${backend}`);
      const plans = await catalog("ListPlans", {}, otherKey);
      expect(plans.status).toBe(200);
      expect((plans.body["plans"] as unknown[] | undefined) ?? []).toEqual([]);
      const plan = await catalog("GetPlan", { planKey: "errors-usd" }, otherKey);
      expect(plan.status).toBe(404);
      expect(plan.body["code"]).toBe("not_found");
    });

    it("a bad Authorize is 400 invalid_argument naming the field, after authentication", async () => {
      const authorize = await connectJson(server.httpUrl, "tollgate.v1.AuthorizationService/Authorize", { requestId: "r1" }, server.apiKey);
      expect(authorize.status).toBe(400);
      expect(authorize.body["code"]).toBe("invalid_argument");
      expect(authorize.body["message"]).toMatch(/^customer_id/);
      const anonymous = await connectJson(server.httpUrl, "tollgate.v1.RatingService/QuotePrice", {}, null);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body["code"]).toBe("unauthenticated");
    });

    it("health answers SERVING without a key", async () => {
      const response = await connectJson(server.httpUrl, "grpc.health.v1.Health/Check", {}, null);
      expect(response).toEqual({ status: 200, body: { status: "SERVING" } });
    });
  });
});
