import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as grpc from "@grpc/grpc-js";
import { backends } from "../support/databases.js";
import { grpcService } from "../support/grpc-client.js";
import { startTestServer, type TestServer } from "../support/server.js";

/*
 * CatalogService end to end over the gRPC port, with a plain @grpc/grpc-js client built from
 * proto/ (snake_case fields, enums as strings, int64 as strings, Timestamps as {seconds, nanos}).
 * One real server per backend; tests use their own keys so they do not depend on each other's
 * order beyond the shared catalog built in beforeAll.
 */

type Timestamp = { seconds: string; nanos: number };
type Money = { amount: string; currency: string };
type Formula = { expression: string; rates: Record<string, string> };
type Meter = { key: string; display_name: string; unit: string };
type CostVersion = { version: number; effective_from: Timestamp; cost: Formula; currency: string };
type Model = { key: string; vendor: string; display_name: string; tags: string[]; cost_versions: CostVersion[] };
type PlanVersion = {
  version: number;
  effective_from: Timestamp;
  prices: { model: string; formula: Formula }[];
  recurring_fee: Money;
  interval: string;
  included_credit: Money;
  overage_limit: Money;
  trial_credit: Money;
  routing: string;
  published_at: Timestamp;
};
type Plan = { key: string; display_name: string; currency: string; versions: PlanVersion[]; created_at: Timestamp };
type Limits = { daily_spend_cap: Money | null; monthly_spend_cap: Money | null; max_concurrent_reservations: number; max_authorizations_per_second: number };
type Subscription = { plan_key: string; started_at: Timestamp; ended_at: Timestamp | null };
type Customer = {
  customer_id: string;
  display_name: string;
  subscriptions: Subscription[];
  limits: Limits;
  status: string;
  trial_ends_at: Timestamp | null;
  fingerprint: string;
  created_at: Timestamp;
};

/** A Timestamp for an ISO instant, as a grpc-js caller sends it (and receives it back). */
const ts = (iso: string, nanos = 0): Timestamp => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad test instant ${iso}`);
  return { seconds: String(Math.floor(ms / 1000)), nanos };
};
const usd = (amount: string): Money => ({ amount, currency: "USD" });

const tokenExpression = "input_tokens * rate_in + output_tokens * rate_out + cached_input_tokens * rate_cached";
/** OpenAI GPT-4o list price: $2.50 / $10 / $1.25 (cached input) per 1M tokens. */
const gpt4oCost: Formula = { expression: tokenExpression, rates: { rate_in: "0.0000025", rate_out: "0.00001", rate_cached: "0.00000125" } };
/** Anthropic Claude Sonnet 4 list price: $3 / $15 / $0.30 (cache read) per 1M tokens. */
const sonnet4Cost: Formula = { expression: tokenExpression, rates: { rate_in: "0.000003", rate_out: "0.000015", rate_cached: "0.0000003" } };

async function refusal(call: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await call;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error("expected the call to be refused, but it succeeded");
}

describe.each(backends())("CatalogService over gRPC on %s Postgres", (backend) => {
  let server: TestServer;
  let catalog: ReturnType<typeof grpcService>;

  const listMeters = async () => ((await catalog.call("ListMeters", {})) as { meters: Meter[] }).meters;
  const listModels = async (tag = "") => ((await catalog.call("ListModels", { tag })) as { models: Model[] }).models;
  const getPlan = async (planKey: string) => ((await catalog.call("GetPlan", { plan_key: planKey })) as { plan: Plan }).plan;
  const listPlans = async () => ((await catalog.call("ListPlans", {})) as { plans: Plan[] }).plans;
  const getCustomer = async (id: string) => ((await catalog.call("GetCustomer", { customer_id: id })) as { customer: Customer }).customer;
  const createPlan = async (key: string, currency = "USD", displayName = "") =>
    ((await catalog.call("CreatePlan", { key, display_name: displayName, currency })) as { plan: Plan }).plan;
  const publish = async (planKey: string, version: object) =>
    ((await catalog.call("PublishPlanVersion", { plan_key: planKey, version })) as { plan: Plan }).plan;
  const createCustomer = async (request: object) => ((await catalog.call("CreateCustomer", request)) as { customer: Customer }).customer;

  beforeAll(async () => {
    server = await startTestServer(backend);
    catalog = grpcService(server.grpcAddress, "CatalogService", server.apiKey);
    // Defined out of key order so ListMeters' ordering is observable.
    await catalog.call("DefineMeter", { key: "output_tokens", display_name: "Output tokens", unit: "token" });
    await catalog.call("DefineMeter", { key: "input_tokens", display_name: "Input tokens", unit: "token" });
    await catalog.call("DefineMeter", { key: "cached_input_tokens", display_name: "Cached input tokens", unit: "token" });
    await catalog.call("DefineModel", {
      key: "gpt-4o",
      vendor: "openai",
      display_name: "GPT-4o",
      tags: ["chat", "vision"],
      cost: gpt4oCost,
      currency: "USD",
      effective_from: ts("2024-08-06T00:00:00Z"),
    });
    await catalog.call("DefineModel", {
      key: "claude-sonnet-4",
      vendor: "anthropic",
      display_name: "Claude Sonnet 4",
      tags: ["chat", "reasoning"],
      cost: sonnet4Cost,
      currency: "USD",
      effective_from: ts("2025-05-22T00:00:00Z"),
    });
    await createPlan("basic", "USD", "Basic");
    await createPlan("team", "USD", "Team");
    await createPlan("eu-pro", "EUR", "Pro (EU)");
  }, 60_000);

  afterAll(async () => {
    catalog?.close();
    await server?.stop();
  });

  describe("meters", () => {
    it("defines a meter and returns it exactly as stored", async () => {
      const response = (await catalog.call("DefineMeter", { key: "images", display_name: "Generated images", unit: "image" })) as { meter: Meter };
      expect(response.meter).toEqual({ key: "images", display_name: "Generated images", unit: "image" });
      expect(await listMeters()).toContainEqual({ key: "images", display_name: "Generated images", unit: "image" });
    });

    it("defaults a meter's display name to its key", async () => {
      const response = (await catalog.call("DefineMeter", { key: "audio_seconds", unit: "second" })) as { meter: Meter };
      expect(response.meter).toEqual({ key: "audio_seconds", display_name: "audio_seconds", unit: "second" });
    });

    it("lists every meter ordered by key", async () => {
      const meters = await listMeters();
      const keys = meters.map((m) => m.key);
      expect(keys).toEqual(expect.arrayContaining(["cached_input_tokens", "input_tokens", "output_tokens"]));
      expect(keys).toEqual([...keys].sort());
      expect(meters).toContainEqual({ key: "output_tokens", display_name: "Output tokens", unit: "token" });
    });

    it("accepts a meter at every length bound (128-character key, 256-character name, 64-character unit)", async () => {
      const meter = { key: `b${"_".repeat(127)}`, display_name: "n".repeat(256), unit: "u".repeat(64) };
      const response = (await catalog.call("DefineMeter", meter)) as { meter: Meter };
      expect(response.meter).toEqual(meter);
    });

    it("identical DefineMeter calls racing each other all return the meter and define it once", async () => {
      const request = { key: "racing_meter", display_name: "Racing", unit: "call" };
      const answers = (await Promise.all(Array.from({ length: 6 }, () => catalog.call("DefineMeter", request)))) as { meter: Meter }[];
      for (const answer of answers) expect(answer.meter).toEqual(request);
      expect((await listMeters()).filter((m) => m.key === "racing_meter")).toEqual([request]);
    });

    it("defining the same meter again returns it and adds nothing", async () => {
      const before = await listMeters();
      const again = (await catalog.call("DefineMeter", { key: "input_tokens", display_name: "Input tokens", unit: "token" })) as { meter: Meter };
      expect(again.meter).toEqual({ key: "input_tokens", display_name: "Input tokens", unit: "token" });
      expect(await listMeters()).toEqual(before);
    });

    it("redefining a meter with another unit or display name is ALREADY_EXISTS and keeps the original", async () => {
      const before = await listMeters();
      const unit = await refusal(catalog.call("DefineMeter", { key: "input_tokens", display_name: "Input tokens", unit: "kilotoken" }));
      expect(unit.code).toBe(grpc.status.ALREADY_EXISTS);
      expect(unit.details).toContain('"input_tokens"');
      const name = await refusal(catalog.call("DefineMeter", { key: "input_tokens", display_name: "Prompt tokens", unit: "token" }));
      expect(name.code).toBe(grpc.status.ALREADY_EXISTS);
      expect(await listMeters()).toEqual(before);
    });

    it.each([
      ["an uppercase, dashed key", { key: "Input-Tokens", unit: "token" }, "key: "],
      ["an empty key", { key: "", unit: "token" }, "key: is required"],
      ["a key starting with a digit", { key: "1st_tokens", unit: "token" }, "key: "],
      ["the reserved key cost", { key: "cost", unit: "usd" }, "key: "],
      ["the reserved key min (a function name)", { key: "min", unit: "x" }, "key: "],
      ["the reserved key true", { key: "true", unit: "x" }, "key: "],
      ["a key of 129 characters", { key: `m${"x".repeat(128)}`, unit: "token" }, "key: must be at most 128 characters"],
      ["a display name of 300 characters", { key: "long_named", display_name: "n".repeat(300), unit: "token" }, "display_name: must be at most 256 characters, got 300"],
      ["a display name with a control character", { key: "ctl_named", display_name: "bad\nname", unit: "token" }, "display_name: "],
      ["a unit of 65 characters", { key: "long_unit", unit: "u".repeat(65) }, "unit: must be at most 64 characters"],
    ])("refuses a meter with %s naming the field, and defines nothing", async (_what, request, prefix) => {
      const before = await listMeters();
      const error = await refusal(catalog.call("DefineMeter", request));
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error.details.startsWith(prefix)).toBe(true);
      expect(await listMeters()).toEqual(before);
    });
  });

  describe("models", () => {
    it("stores GPT-4o with its public per-token cost and returns the formula byte for byte", async () => {
      const [model] = await listModels("vision");
      expect(model).toEqual({
        key: "gpt-4o",
        vendor: "openai",
        display_name: "GPT-4o",
        tags: ["chat", "vision"],
        cost_versions: [{ version: 1, effective_from: ts("2024-08-06T00:00:00Z"), cost: gpt4oCost, currency: "USD" }],
      });
    });

    it("defines Claude Sonnet 4 at $3 / $15 / $0.30 per million tokens", async () => {
      const response = (await catalog.call("DefineModel", {
        key: "claude-sonnet-4",
        vendor: "anthropic",
        display_name: "Claude Sonnet 4",
        tags: ["chat", "reasoning"],
        cost: sonnet4Cost,
        currency: "USD",
        effective_from: ts("2025-05-22T00:00:00Z"),
      })) as { model: Model };
      expect(response.model.cost_versions).toEqual([{ version: 1, effective_from: ts("2025-05-22T00:00:00Z"), cost: sonnet4Cost, currency: "USD" }]);
      expect(response.model.cost_versions[0]?.cost.rates).toEqual({ rate_in: "0.000003", rate_out: "0.000015", rate_cached: "0.0000003" });
    });

    it("returns formulas intact: whitespace in the expression and trailing zeros in rates are not normalised", async () => {
      const raw: Formula = { expression: "  input_tokens\t*  rate_in +(output_tokens*rate_out) ", rates: { rate_in: "0.0000100", rate_out: "00.000020" } };
      const response = (await catalog.call("DefineModel", { key: "raw-formula", cost: raw, currency: "USD", effective_from: ts("2025-01-01T00:00:00Z") })) as { model: Model };
      expect(response.model.cost_versions[0]?.cost).toEqual(raw);
      const [listed] = (await listModels()).filter((m) => m.key === "raw-formula");
      expect(listed?.cost_versions[0]?.cost).toEqual(raw);
    });

    it("accepts model keys as vendors spell them, with slashes, dots and colons", async () => {
      for (const key of ["anthropic/claude-3.5-sonnet", "bedrock:claude-sonnet-4", "Meta-Llama-3.1-70B"]) {
        const response = (await catalog.call("DefineModel", { key, cost: sonnet4Cost, currency: "USD", effective_from: ts("2025-01-01T00:00:00Z") })) as { model: Model };
        expect(response.model.key).toBe(key);
        expect(response.model.display_name).toBe(key);
      }
      expect((await listModels()).map((m) => m.key)).toEqual(expect.arrayContaining(["anthropic/claude-3.5-sonnet", "bedrock:claude-sonnet-4", "Meta-Llama-3.1-70B"]));
    });

    it("lists models by key, and only those carrying the tag when one is given", async () => {
      const all = await listModels();
      const keys = all.map((m) => m.key);
      expect(keys).toEqual(expect.arrayContaining(["claude-sonnet-4", "gpt-4o"]));
      expect(keys).toEqual([...keys].sort());
      expect((await listModels("chat")).map((m) => m.key)).toEqual(["claude-sonnet-4", "gpt-4o"]);
      expect((await listModels("vision")).map((m) => m.key)).toEqual(["gpt-4o"]);
      expect((await listModels("reasoning")).map((m) => m.key)).toEqual(["claude-sonnet-4"]);
      expect(await listModels("no-such-tag")).toEqual([]);
    });

    it("a vendor reprice with a later effective_from adds cost version 2 and keeps version 1", async () => {
      // GPT-4o launched at $5 / $15 per 1M tokens and was repriced to $2.50 / $10 (+ cached input).
      const launch: Formula = { expression: "input_tokens * rate_in + output_tokens * rate_out", rates: { rate_in: "0.000005", rate_out: "0.000015" } };
      const base = { key: "gpt-4o-repriced", vendor: "openai", display_name: "GPT-4o (history)", tags: ["chat"], currency: "USD" };
      const first = (await catalog.call("DefineModel", { ...base, cost: launch, effective_from: ts("2024-05-13T00:00:00Z") })) as { model: Model };
      expect(first.model.cost_versions.map((v) => v.version)).toEqual([1]);

      const second = (await catalog.call("DefineModel", { ...base, cost: gpt4oCost, effective_from: ts("2024-10-02T00:00:00Z") })) as { model: Model };
      expect(second.model.cost_versions).toEqual([
        { version: 1, effective_from: ts("2024-05-13T00:00:00Z"), cost: launch, currency: "USD" },
        { version: 2, effective_from: ts("2024-10-02T00:00:00Z"), cost: gpt4oCost, currency: "USD" },
      ]);
      const [listed] = (await listModels()).filter((m) => m.key === "gpt-4o-repriced");
      expect(listed).toEqual(second.model);
    });

    it("defining the same cost again adds no cost version (with or without its effective_from)", async () => {
      const base = { key: "gpt-4o-idem", vendor: "openai", tags: ["chat"], cost: gpt4oCost, currency: "USD" };
      await catalog.call("DefineModel", { ...base, effective_from: ts("2024-08-06T00:00:00Z") });
      const withTime = (await catalog.call("DefineModel", { ...base, effective_from: ts("2024-08-06T00:00:00Z") })) as { model: Model };
      const withoutTime = (await catalog.call("DefineModel", base)) as { model: Model };
      for (const answer of [withTime, withoutTime]) {
        expect(answer.model.cost_versions).toEqual([{ version: 1, effective_from: ts("2024-08-06T00:00:00Z"), cost: gpt4oCost, currency: "USD" }]);
      }
      expect((await listModels()).filter((m) => m.key === "gpt-4o-idem")[0]?.cost_versions).toHaveLength(1);
    });

    it("a metadata-only redefinition replaces vendor, display name and tags without a new cost version", async () => {
      const base = { key: "meta-model", vendor: "acme", display_name: "Meta v1", tags: ["old"], cost: sonnet4Cost, currency: "USD", effective_from: ts("2025-01-01T00:00:00Z") };
      await catalog.call("DefineModel", base);
      const updated = (await catalog.call("DefineModel", { ...base, vendor: "acme-ai", display_name: "Meta v2", tags: ["new", "fast"] })) as { model: Model };
      expect(updated.model).toMatchObject({ vendor: "acme-ai", display_name: "Meta v2", tags: ["new", "fast"] });
      expect(updated.model.cost_versions).toHaveLength(1);
      expect((await listModels("old")).map((m) => m.key)).not.toContain("meta-model");
      expect((await listModels("fast")).map((m) => m.key)).toEqual(["meta-model"]);
    });

    it("a reprice not after the latest cost version is refused naming effective_from, and changes nothing", async () => {
      const before = await listModels();
      const cheaper: Formula = { ...gpt4oCost, rates: { ...gpt4oCost.rates, rate_in: "0.000002" } };
      for (const at of ["2024-08-06T00:00:00Z", "2024-01-01T00:00:00Z"]) {
        const error = await refusal(catalog.call("DefineModel", { key: "gpt-4o", vendor: "openai", display_name: "GPT-4o", tags: ["chat", "vision"], cost: cheaper, currency: "USD", effective_from: ts(at) }));
        expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(error.details.startsWith("effective_from: ")).toBe(true);
      }
      expect(await listModels()).toEqual(before);
    });

    it("a reprice in another currency is refused naming currency", async () => {
      const error = await refusal(
        catalog.call("DefineModel", { key: "gpt-4o", vendor: "openai", display_name: "GPT-4o", tags: ["chat", "vision"], cost: gpt4oCost, currency: "EUR", effective_from: ts("2030-01-01T00:00:00Z") }),
      );
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error.details.startsWith("currency: ")).toBe(true);
      expect(error.details).toContain("USD");
    });

    it.each([
      ["a key with a space", { key: "gpt 4o" }, "key: ", []],
      ["an empty key", { key: "" }, "key: is required", []],
      ["a display name of 300 characters", { display_name: "d".repeat(300) }, "display_name: must be at most 256 characters", []],
      ["an uppercase tag", { tags: ["Chat"] }, "tags[0]: ", []],
      ["a tag of 65 characters", { tags: ["chat", "t".repeat(65)] }, "tags[1]: ", []],
      ["33 tags", { tags: Array.from({ length: 33 }, (_, i) => `tag${i}`) }, "tags: must have at most 32 tags", []],
      ["a vendor of 300 characters", { vendor: "v".repeat(300) }, "vendor: must be at most 256 characters", []],
      ["no cost formula", { cost: null }, "cost.expression: is required", []],
      ["a syntax error in the cost formula", { cost: { expression: "input_tokens * * rate_in", rates: { rate_in: "0.000001" } } }, "cost.expression: ", ["column 16"]],
      ["an unknown meter in the cost formula", { cost: { expression: "input_tokenz * rate_in", rates: { rate_in: "0.000001" } } }, "cost.expression: ", ["column 1", 'did you mean "input_tokens"']],
      ["`cost` inside a cost formula", { cost: { expression: "cost * 1.1", rates: {} } }, "cost.expression: ", ["column 1", '"cost" is not available']],
      ["an undeclared rate", { cost: { expression: "input_tokens * rate_inn", rates: { rate_in: "0.000001" } } }, "cost.expression: ", ["column 16", 'did you mean "rate_in"']],
      ["a rate in exponent notation", { cost: { expression: "input_tokens * rate_in", rates: { rate_in: "1e-6" } } }, "cost.rates.rate_in: ", ["1e-6"]],
      ["a lowercase currency", { currency: "usd" }, "currency: ", ['"usd"']],
      ["no currency", { currency: "" }, "currency: is required", []],
      ["an effective_from before 2000", { effective_from: ts("1999-12-31T23:59:59Z") }, "effective_from: ", []],
    ] as [string, object, string, string[]][])("refuses a model with %s naming the field, and defines nothing", async (_what, override, prefix, fragments) => {
      const before = await listModels();
      const request = { key: "new-model", vendor: "acme", display_name: "New", tags: ["chat"], cost: gpt4oCost, currency: "USD", effective_from: ts("2025-01-01T00:00:00Z"), ...override };
      const error = await refusal(catalog.call("DefineModel", request));
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error.details.startsWith(prefix)).toBe(true);
      for (const fragment of fragments) expect(error.details).toContain(fragment);
      expect(await listModels()).toEqual(before);
    });
  });

  describe("plans", () => {
    /** Sonnet 4 resold at 20% over list; any other model at cost + 25%. */
    const sonnetPrice: Formula = { expression: tokenExpression, rates: { rate_in: "0.0000036", rate_out: "0.000018", rate_cached: "0.00000036" } };
    const proV1 = {
      version: 42,
      effective_from: ts("2025-01-01T00:00:00Z", 250_000_000),
      prices: [
        { model: "claude-sonnet-4", formula: sonnetPrice },
        { model: "*", formula: { expression: "cost * 1.25", rates: {} } },
      ],
      recurring_fee: usd("20"),
      interval: "BILLING_INTERVAL_DAILY",
      included_credit: usd("5"),
      overage_limit: usd("10.5"),
      trial_credit: { amount: "1.25", currency: "" },
      routing: "ROUTING_POLICY_HIGHEST_MARGIN",
    };
    let published: Plan;

    beforeAll(async () => {
      await createPlan("pro", "USD", "Pro");
      published = await publish("pro", proV1);
    });

    it("creates a plan with no versions; display name defaults to the key", async () => {
      const plan = await createPlan("starter", "USD");
      expect(plan).toEqual({ key: "starter", display_name: "starter", currency: "USD", versions: [], created_at: expect.objectContaining({ seconds: expect.any(String) }) });
      expect(Math.abs(Number(plan.created_at.seconds) * 1000 - Date.now())).toBeLessThan(60_000);
      expect(await getPlan("starter")).toEqual(plan);
    });

    it("stores and returns every field of a published version exactly", async () => {
      expect(published.versions).toHaveLength(1);
      const [v1] = published.versions;
      expect(v1).toEqual({
        version: 1,
        effective_from: ts("2025-01-01T00:00:00Z", 250_000_000),
        prices: [
          { model: "claude-sonnet-4", formula: sonnetPrice },
          { model: "*", formula: { expression: "cost * 1.25", rates: {} } },
        ],
        recurring_fee: usd("20"),
        interval: "BILLING_INTERVAL_DAILY",
        included_credit: usd("5"),
        overage_limit: usd("10.5"),
        trial_credit: usd("1.25"),
        routing: "ROUTING_POLICY_HIGHEST_MARGIN",
        published_at: expect.objectContaining({ seconds: expect.any(String) }),
      });
      expect(Math.abs(Number(v1?.published_at.seconds) * 1000 - Date.now())).toBeLessThan(60_000);
    });

    it("accepts and returns intact prices using attributes, period quantities, tiers and functions", async () => {
      await createPlan("tiered", "USD");
      const prices = [
        {
          model: "gpt-4o",
          formula: {
            expression: 'if(attr.region == "eu", cost * 1.3, cost * 1.25) + graduated(output_tokens, period.output_tokens, 0, rate_first, 1000000, rate_after)',
            rates: { rate_first: "0.000001", rate_after: "0.0000005" },
          },
        },
        { model: "*", formula: { expression: "max(round(cost * 1.25, 6), 0.0001)", rates: {} } },
      ];
      const plan = await publish("tiered", { effective_from: ts("2025-01-01T00:00:00Z"), prices });
      expect(plan.versions[0]?.prices).toEqual(prices);
    });

    it("GetPlan and ListPlans return the plan as published", async () => {
      const fetched = await getPlan("pro");
      expect(fetched).toEqual(published);
      expect(fetched).toMatchObject({ key: "pro", display_name: "Pro", currency: "USD" });
      const plans = await listPlans();
      expect(plans.find((p) => p.key === "pro")).toEqual(published);
      const keys = plans.map((p) => p.key);
      expect(keys).toEqual(expect.arrayContaining(["basic", "eu-pro", "pro", "team"]));
      expect(keys).toEqual([...keys].sort());
    });

    it("orders plans by key in code-point order on every backend: uppercase before lowercase", async () => {
      await createPlan("Zulu", "USD");
      await createPlan("alpha.1", "USD");
      const keys = (await listPlans()).map((p) => p.key);
      expect(keys).toEqual([...keys].sort());
      expect(keys.indexOf("Zulu")).toBeLessThan(keys.indexOf("alpha.1"));
      expect(keys.indexOf("alpha.1")).toBeLessThan(keys.indexOf("basic"));
    });

    it("creating the same plan again returns it unchanged, with its versions", async () => {
      const again = await createPlan("pro", "USD", "Pro");
      expect(again).toEqual(published);
    });

    it("the same plan key with another currency or display name is ALREADY_EXISTS and changes nothing", async () => {
      for (const [currency, name] of [["EUR", "Pro"], ["USD", "Professional"]] as const) {
        const error = await refusal(catalog.call("CreatePlan", { key: "pro", display_name: name, currency }));
        expect(error.code).toBe(grpc.status.ALREADY_EXISTS);
        expect(error.details).toContain('"pro"');
      }
      expect(await getPlan("pro")).toEqual(published);
    });

    it("leaves unset terms at their defaults: monthly, lowest cost, zero amounts in the plan currency", async () => {
      await createPlan("defaults", "EUR");
      const plan = await publish("defaults", { effective_from: ts("2025-03-01T00:00:00Z"), prices: [{ model: "*", formula: { expression: "cost * 1.25", rates: {} } }] });
      expect(plan.versions[0]).toMatchObject({
        version: 1,
        interval: "BILLING_INTERVAL_MONTHLY",
        routing: "ROUTING_POLICY_LOWEST_COST",
        recurring_fee: { amount: "0", currency: "EUR" },
        included_credit: { amount: "0", currency: "EUR" },
        overage_limit: { amount: "0", currency: "EUR" },
        trial_credit: { amount: "0", currency: "EUR" },
      });
    });

    it("a second version with a later effective_from becomes version 2 and leaves version 1 intact", async () => {
      await createPlan("growth", "USD");
      const v1 = { effective_from: ts("2025-01-01T00:00:00Z"), prices: [{ model: "gpt-4o", formula: { expression: "cost * 1.5", rates: {} } }], recurring_fee: usd("49") };
      const first = await publish("growth", v1);
      const v2 = { effective_from: ts("2025-06-01T00:00:00Z"), prices: [{ model: "gpt-4o", formula: { expression: "cost * 1.4", rates: {} } }], recurring_fee: usd("59") };
      const second = await publish("growth", v2);
      expect(second.versions.map((v) => v.version)).toEqual([1, 2]);
      expect(second.versions[0]).toEqual(first.versions[0]);
      expect(second.versions[1]).toMatchObject({ version: 2, effective_from: ts("2025-06-01T00:00:00Z"), recurring_fee: usd("59"), prices: v2.prices });
      expect(await getPlan("growth")).toEqual(second);
    });

    it("publishing the latest terms again is a no-op", async () => {
      const before = await getPlan("growth");
      const v2 = { effective_from: ts("2025-06-01T00:00:00Z"), prices: [{ model: "gpt-4o", formula: { expression: "cost * 1.4", rates: {} } }], recurring_fee: usd("59") };
      expect(await publish("growth", v2)).toEqual(before);
      const { effective_from: _ignored, ...withoutTime } = v2;
      expect(await publish("growth", withoutTime)).toEqual(before);
      expect((await getPlan("growth")).versions).toHaveLength(2);
    });

    it("publishing a version with effective_from not after the previous one is refused naming version.effective_from", async () => {
      const before = await getPlan("growth");
      for (const at of ["2025-06-01T00:00:00Z", "2025-03-01T00:00:00Z"]) {
        const error = await refusal(
          catalog.call("PublishPlanVersion", { plan_key: "growth", version: { effective_from: ts(at), prices: [{ model: "gpt-4o", formula: { expression: "cost * 1.3", rates: {} } }] } }),
        );
        expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(error.details.startsWith("version.effective_from: ")).toBe(true);
        expect(error.details).toContain("2025-06-01T00:00:00.000Z");
      }
      expect(await getPlan("growth")).toEqual(before);
    });

    it("a plan version with an unknown meter is refused naming the price and column, with a suggestion", async () => {
      const error = await refusal(
        catalog.call("PublishPlanVersion", {
          plan_key: "pro",
          version: {
            effective_from: ts("2026-01-01T00:00:00Z"),
            prices: [
              { model: "*", formula: { expression: "cost * 1.25", rates: {} } },
              { model: "gpt-4o", formula: { expression: "input_tokens * rate_in + output_tokns * rate_out", rates: { rate_in: "0.000003", rate_out: "0.000012" } } },
            ],
          },
        }),
      );
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error.details.startsWith("version.prices[1].formula.expression: ")).toBe(true);
      expect(error.details).toContain("column 26");
      expect(error.details).toContain('"output_tokns"');
      expect(error.details).toContain('did you mean "output_tokens"');
    });

    it.each([
      ["a syntax error", { prices: [{ model: "gpt-4o", formula: { expression: "(cost * 1.25", rates: {} } }] }, "version.prices[0].formula.expression: ", ["column"]],
      ["a rate in exponent notation", { prices: [{ model: "gpt-4o", formula: { expression: "input_tokens * rate_in", rates: { rate_in: "1e-6" } } }] }, "version.prices[0].formula.rates.rate_in: ", ["1e-6"]],
      ["a rate that is not a number", { prices: [{ model: "gpt-4o", formula: { expression: "input_tokens * rate_in", rates: { rate_in: "cheap" } } }] }, "version.prices[0].formula.rates.rate_in: ", []],
      ["a rate named like a meter", { prices: [{ model: "gpt-4o", formula: { expression: "input_tokens * 2", rates: { input_tokens: "1" } } }] }, "version.prices[0].formula.rates.input_tokens: ", []],
      ["a price for a model that does not exist", { prices: [{ model: "gpt-5-turbo", formula: { expression: "cost * 2", rates: {} } }] }, "version.prices[0].model: ", ['"gpt-5-turbo"']],
      ["a price with an invalid model key", { prices: [{ model: "gpt 4o", formula: { expression: "cost * 2", rates: {} } }] }, "version.prices[0].model: ", []],
      [
        "the same model priced twice",
        { prices: [{ model: "gpt-4o", formula: { expression: "cost * 2", rates: {} } }, { model: "gpt-4o", formula: { expression: "cost * 3", rates: {} } }] },
        "version.prices[1].model: ",
        ["twice"],
      ],
      ["a price with no formula", { prices: [{ model: "gpt-4o" }] }, "version.prices[0].formula.expression: is required", []],
      ["a constant division by zero", { prices: [{ model: "gpt-4o", formula: { expression: "cost / 0", rates: {} } }] }, "version.prices[0].formula.expression: ", ["column 8", "division by zero"]],
      ["an unknown function", { prices: [{ model: "gpt-4o", formula: { expression: "maxx(cost, 1)", rates: {} } }] }, "version.prices[0].formula.expression: ", ["column 1", 'did you mean "max"']],
      ["an expression of 5000 characters", { prices: [{ model: "gpt-4o", formula: { expression: `cost${" ".repeat(4996)}`, rates: {} } }] }, "version.prices[0].formula.expression: ", ["4096"]],
      [
        "101 rates on one formula",
        { prices: [{ model: "gpt-4o", formula: { expression: "cost", rates: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`r${i}`, "1"])) } }] },
        "version.prices[0].formula.rates: ",
        ["100"],
      ],
      ["501 prices", { prices: Array.from({ length: 501 }, () => ({ model: "*", formula: { expression: "cost", rates: {} } })) }, "version.prices: must have at most 500 prices", []],
      ["a recurring fee that is not a number", { recurring_fee: { amount: "abc", currency: "USD" } }, "version.recurring_fee.amount: ", ['"abc"']],
      ["a negative overage limit", { overage_limit: { amount: "-1", currency: "USD" } }, "version.overage_limit.amount: ", []],
      ["included credit in another currency", { included_credit: { amount: "5", currency: "EUR" } }, "version.included_credit.currency: ", ["USD", '"EUR"']],
      ["trial credit with 19 fractional digits", { trial_credit: { amount: "0.0000000000000000001", currency: "USD" } }, "version.trial_credit.amount: ", []],
      ["an effective_from before 2000", { effective_from: ts("1970-01-02T00:00:00Z") }, "version.effective_from: ", []],
      ["an unknown billing interval", { interval: 9 }, "version.interval: ", []],
      ["an unknown routing policy", { routing: 7 }, "version.routing: ", []],
    ] as [string, object, string, string[]][])("refuses a plan version with %s naming the field, and publishes nothing", async (_what, override, prefix, fragments) => {
      const before = await getPlan("pro");
      const version = { effective_from: ts("2026-01-01T00:00:00Z"), prices: [{ model: "*", formula: { expression: "cost * 1.25", rates: {} } }], ...override };
      const error = await refusal(catalog.call("PublishPlanVersion", { plan_key: "pro", version }));
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error.details.startsWith(prefix)).toBe(true);
      for (const fragment of fragments) expect(error.details).toContain(fragment);
      expect(await getPlan("pro")).toEqual(before);
      expect(before).toEqual(published);
    });

    it("refuses a publish without a version naming version", async () => {
      const error = await refusal(catalog.call("PublishPlanVersion", { plan_key: "pro" }));
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error.details.startsWith("version: ")).toBe(true);
      expect(await getPlan("pro")).toEqual(published);
    });

    it.each([
      ["a lowercase currency", { key: "bad-currency", currency: "usd" }, "currency: "],
      ["no currency", { key: "no-currency", currency: "" }, "currency: is required"],
      ["a key with a space", { key: "my plan", currency: "USD" }, "key: "],
      ["a key starting with a dash", { key: "-plan", currency: "USD" }, "key: "],
      ["a display name of 300 characters", { key: "long-name", display_name: "p".repeat(300), currency: "USD" }, "display_name: must be at most 256 characters"],
    ])("refuses a plan with %s naming the field, and creates nothing", async (_what, request, prefix) => {
      const before = await listPlans();
      const error = await refusal(catalog.call("CreatePlan", request));
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error.details.startsWith(prefix)).toBe(true);
      expect(await listPlans()).toEqual(before);
    });

    it("answers NOT_FOUND naming the plan for GetPlan and PublishPlanVersion of an unknown plan", async () => {
      const get = await refusal(catalog.call("GetPlan", { plan_key: "enterprise" }));
      expect(get.code).toBe(grpc.status.NOT_FOUND);
      expect(get.details).toContain('"enterprise"');
      const pub = await refusal(catalog.call("PublishPlanVersion", { plan_key: "enterprise", version: { prices: [] } }));
      expect(pub.code).toBe(grpc.status.NOT_FOUND);
      expect((await listPlans()).map((p) => p.key)).not.toContain("enterprise");
    });
  });

  describe("customers", () => {
    const limits = {
      daily_spend_cap: usd("25"),
      monthly_spend_cap: { amount: "500.75", currency: "" },
      max_concurrent_reservations: 4,
      max_authorizations_per_second: 20,
    };
    const alice = {
      customer_id: "cus_alice@example.com",
      display_name: "Alice",
      plan_key: "basic",
      started_at: ts("2025-02-01T00:00:00Z"),
      trial_ends_at: ts("2025-02-15T00:00:00Z"),
      fingerprint: "fp:device-7f3a",
      limits,
    };
    let created: Customer;

    beforeAll(async () => {
      created = await createCustomer(alice);
    });

    it("creates a customer with its start in the past, trial end, fingerprint and limits in the plan currency", () => {
      expect(created).toEqual({
        customer_id: "cus_alice@example.com",
        display_name: "Alice",
        subscriptions: [{ plan_key: "basic", started_at: ts("2025-02-01T00:00:00Z"), ended_at: null }],
        limits: { daily_spend_cap: usd("25"), monthly_spend_cap: usd("500.75"), max_concurrent_reservations: 4, max_authorizations_per_second: 20 },
        status: "CUSTOMER_STATUS_ACTIVE",
        trial_ends_at: ts("2025-02-15T00:00:00Z"),
        fingerprint: "fp:device-7f3a",
        created_at: expect.objectContaining({ seconds: expect.any(String) }),
      });
      expect(Math.abs(Number(created.created_at.seconds) * 1000 - Date.now())).toBeLessThan(60_000);
    });

    it("GetCustomer returns the customer with its subscription timeline", async () => {
      expect(await getCustomer("cus_alice@example.com")).toEqual(created);
    });

    it("defaults the display name to the id, the start to now, and no limits to zero in the plan currency", async () => {
      const before = Date.now();
      const bob = await createCustomer({ customer_id: "bob", plan_key: "eu-pro" });
      expect(bob.display_name).toBe("bob");
      expect(bob.trial_ends_at).toBeNull();
      expect(bob.fingerprint).toBe("");
      expect(bob.limits).toEqual({ daily_spend_cap: { amount: "0", currency: "EUR" }, monthly_spend_cap: { amount: "0", currency: "EUR" }, max_concurrent_reservations: 0, max_authorizations_per_second: 0 });
      const started = Number(bob.subscriptions[0]?.started_at.seconds) * 1000;
      expect(started).toBeGreaterThanOrEqual(before - 2000);
      expect(started).toBeLessThanOrEqual(Date.now() + 1000);
      // A retry that leaves started_at unset again matches the original call.
      expect(await createCustomer({ customer_id: "bob", plan_key: "eu-pro" })).toEqual(bob);
    });

    it("identical CreateCustomer calls racing each other all return one and the same customer", async () => {
      const request = { customer_id: "racer", display_name: "Racer", plan_key: "basic", started_at: ts("2025-04-01T00:00:00Z"), limits: { max_concurrent_reservations: 2 } };
      const answers = (await Promise.all(Array.from({ length: 6 }, () => catalog.call("CreateCustomer", request)))) as { customer: Customer }[];
      const [firstAnswer] = answers;
      for (const answer of answers) expect(answer.customer).toEqual(firstAnswer?.customer);
      expect(firstAnswer?.customer.subscriptions).toEqual([{ plan_key: "basic", started_at: ts("2025-04-01T00:00:00Z"), ended_at: null }]);
      expect(await getCustomer("racer")).toEqual(firstAnswer?.customer);
    });

    it("creating the same customer again returns the original unchanged", async () => {
      expect(await createCustomer(alice)).toEqual(created);
    });

    it.each([
      ["another display name", { display_name: "Alice B." }],
      ["another plan", { plan_key: "team" }],
      ["another start", { started_at: ts("2025-02-02T00:00:00Z") }],
      ["another fingerprint", { fingerprint: "fp:other" }],
      ["other limits", { limits: { ...limits, max_concurrent_reservations: 5 } }],
    ])("the same customer id with %s is ALREADY_EXISTS and changes nothing", async (_what, override) => {
      const error = await refusal(catalog.call("CreateCustomer", { ...alice, ...override }));
      expect(error.code).toBe(grpc.status.ALREADY_EXISTS);
      expect(error.details).toContain('"cus_alice@example.com"');
      expect(await getCustomer("cus_alice@example.com")).toEqual(created);
    });

    it("CreateCustomer with an unknown plan is NOT_FOUND and creates nothing", async () => {
      const error = await refusal(catalog.call("CreateCustomer", { customer_id: "carol", plan_key: "platinum" }));
      expect(error.code).toBe(grpc.status.NOT_FOUND);
      expect(error.details).toContain('"platinum"');
      expect((await refusal(catalog.call("GetCustomer", { customer_id: "carol" }))).code).toBe(grpc.status.NOT_FOUND);
    });

    it.each([
      ["an id with a space", { customer_id: "dave smith" }, "customer_id: "],
      ["an empty id", { customer_id: "" }, "customer_id: is required"],
      ["a non-ASCII id", { customer_id: "josé" }, "customer_id: "],
      ["an id of 129 characters", { customer_id: "c".repeat(129) }, "customer_id: must be at most 128 characters"],
      ["a display name of 300 characters", { display_name: "x".repeat(300) }, "display_name: must be at most 256 characters"],
      ["a fingerprint of 300 characters", { fingerprint: "f".repeat(300) }, "fingerprint: must be at most 256 characters"],
      ["a start before 2000", { started_at: ts("1999-06-01T00:00:00Z") }, "started_at: "],
      ["a trial ending before the start", { started_at: ts("2025-02-01T00:00:00Z"), trial_ends_at: ts("2025-01-15T00:00:00Z") }, "trial_ends_at: "],
      ["a negative concurrency limit", { limits: { max_concurrent_reservations: -1 } }, "limits.max_concurrent_reservations: "],
      ["a negative rate limit", { limits: { max_authorizations_per_second: -5 } }, "limits.max_authorizations_per_second: "],
      ["a daily cap in another currency", { limits: { daily_spend_cap: { amount: "10", currency: "EUR" } } }, "limits.daily_spend_cap.currency: "],
      ["a negative monthly cap", { limits: { monthly_spend_cap: usd("-10") } }, "limits.monthly_spend_cap.amount: "],
      ["an invalid plan key", { plan_key: "bad plan" }, "plan_key: "],
    ])("refuses a customer with %s naming the field, and creates nothing", async (_what, override, prefix) => {
      const request = { customer_id: "dave", plan_key: "basic", ...override };
      const error = await refusal(catalog.call("CreateCustomer", request));
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error.details.startsWith(prefix)).toBe(true);
      expect((await refusal(catalog.call("GetCustomer", { customer_id: "dave" }))).code).toBe(grpc.status.NOT_FOUND);
    });

    it("GetCustomer of an unknown id is NOT_FOUND naming it", async () => {
      const error = await refusal(catalog.call("GetCustomer", { customer_id: "nobody" }));
      expect(error.code).toBe(grpc.status.NOT_FOUND);
      expect(error.details).toContain('"nobody"');
    });

    describe("plan changes", () => {
      beforeAll(async () => {
        await createCustomer({ customer_id: "erin", plan_key: "basic", started_at: ts("2025-02-01T00:00:00Z") });
      });

      it("ChangePlan at a time ends the first subscription at that instant and starts the new one", async () => {
        const response = (await catalog.call("ChangePlan", { customer_id: "erin", plan_key: "team", effective_at: ts("2025-03-15T12:00:00Z") })) as { customer: Customer };
        expect(response.customer.subscriptions).toEqual([
          { plan_key: "basic", started_at: ts("2025-02-01T00:00:00Z"), ended_at: ts("2025-03-15T12:00:00Z") },
          { plan_key: "team", started_at: ts("2025-03-15T12:00:00Z"), ended_at: null },
        ]);
        expect(await getCustomer("erin")).toEqual(response.customer);
      });

      it("repeating the same change is a no-op", async () => {
        const before = await getCustomer("erin");
        const again = (await catalog.call("ChangePlan", { customer_id: "erin", plan_key: "team", effective_at: ts("2025-03-15T12:00:00Z") })) as { customer: Customer };
        expect(again.customer).toEqual(before);
        expect(again.customer.subscriptions).toHaveLength(2);
      });

      it("ChangePlan to the current plan at another time is FAILED_PRECONDITION", async () => {
        const before = await getCustomer("erin");
        const error = await refusal(catalog.call("ChangePlan", { customer_id: "erin", plan_key: "team", effective_at: ts("2025-04-01T00:00:00Z") }));
        expect(error.code).toBe(grpc.status.FAILED_PRECONDITION);
        expect(await getCustomer("erin")).toEqual(before);
      });

      it("ChangePlan to a plan in another currency is FAILED_PRECONDITION and changes nothing", async () => {
        const before = await getCustomer("erin");
        const error = await refusal(catalog.call("ChangePlan", { customer_id: "erin", plan_key: "eu-pro", effective_at: ts("2025-05-01T00:00:00Z") }));
        expect(error.code).toBe(grpc.status.FAILED_PRECONDITION);
        expect(error.details).toContain("EUR");
        expect(error.details).toContain("USD");
        expect(await getCustomer("erin")).toEqual(before);
      });

      it.each([
        ["before the current subscription's start", "2025-03-01T00:00:00Z"],
        ["at the current subscription's start", "2025-03-15T12:00:00Z"],
      ])("ChangePlan effective %s is INVALID_ARGUMENT naming effective_at", async (_what, at) => {
        const before = await getCustomer("erin");
        const error = await refusal(catalog.call("ChangePlan", { customer_id: "erin", plan_key: "basic", effective_at: ts(at) }));
        expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(error.details.startsWith("effective_at: ")).toBe(true);
        expect(error.details).toContain("2025-03-15T12:00:00.000Z");
        expect(await getCustomer("erin")).toEqual(before);
      });

      it("ChangePlan for an unknown customer or to an unknown plan is NOT_FOUND", async () => {
        const customer = await refusal(catalog.call("ChangePlan", { customer_id: "ghost", plan_key: "team", effective_at: ts("2025-05-01T00:00:00Z") }));
        expect(customer.code).toBe(grpc.status.NOT_FOUND);
        expect(customer.details).toContain('"ghost"');
        const before = await getCustomer("erin");
        const plan = await refusal(catalog.call("ChangePlan", { customer_id: "erin", plan_key: "platinum", effective_at: ts("2025-05-01T00:00:00Z") }));
        expect(plan.code).toBe(grpc.status.NOT_FOUND);
        expect(plan.details).toContain('"platinum"');
        expect(await getCustomer("erin")).toEqual(before);
      });

      it("ChangePlan without effective_at takes effect now", async () => {
        await createCustomer({ customer_id: "gina", plan_key: "basic", started_at: ts("2025-02-01T00:00:00Z") });
        const before = Date.now();
        const response = (await catalog.call("ChangePlan", { customer_id: "gina", plan_key: "team" })) as { customer: Customer };
        const [old, current] = response.customer.subscriptions;
        expect(current?.plan_key).toBe("team");
        const startedMs = Number(current?.started_at.seconds) * 1000 + (current?.started_at.nanos ?? 0) / 1e6;
        expect(startedMs).toBeGreaterThanOrEqual(before - 2000);
        expect(startedMs).toBeLessThanOrEqual(Date.now() + 1000);
        expect(old?.ended_at).toEqual(current?.started_at);
      });

      it("a third plan extends the timeline, each subscription ending where the next starts", async () => {
        const response = (await catalog.call("ChangePlan", { customer_id: "erin", plan_key: "basic", effective_at: ts("2025-06-01T00:00:00Z") })) as { customer: Customer };
        expect(response.customer.subscriptions).toEqual([
          { plan_key: "basic", started_at: ts("2025-02-01T00:00:00Z"), ended_at: ts("2025-03-15T12:00:00Z") },
          { plan_key: "team", started_at: ts("2025-03-15T12:00:00Z"), ended_at: ts("2025-06-01T00:00:00Z") },
          { plan_key: "basic", started_at: ts("2025-06-01T00:00:00Z"), ended_at: null },
        ]);
      });
    });

    describe("limits and status", () => {
      beforeAll(async () => {
        await createCustomer({ customer_id: "frank", plan_key: "team", limits });
      });

      it("UpdateCustomerLimits replaces the limits as a whole", async () => {
        const response = (await catalog.call("UpdateCustomerLimits", { customer_id: "frank", limits: { monthly_spend_cap: usd("100"), max_concurrent_reservations: 2 } })) as {
          customer: Customer;
        };
        const expected = { daily_spend_cap: usd("0"), monthly_spend_cap: usd("100"), max_concurrent_reservations: 2, max_authorizations_per_second: 0 };
        expect(response.customer.limits).toEqual(expected);
        expect((await getCustomer("frank")).limits).toEqual(expected);
      });

      it("UpdateCustomerLimits with an empty object removes every limit", async () => {
        const response = (await catalog.call("UpdateCustomerLimits", { customer_id: "frank", limits: {} })) as { customer: Customer };
        const none = { daily_spend_cap: usd("0"), monthly_spend_cap: usd("0"), max_concurrent_reservations: 0, max_authorizations_per_second: 0 };
        expect(response.customer.limits).toEqual(none);
        expect((await getCustomer("frank")).limits).toEqual(none);
      });

      it.each([
        ["a negative concurrency limit", { max_concurrent_reservations: -1 }, "limits.max_concurrent_reservations: "],
        ["a cap in another currency", { daily_spend_cap: { amount: "5", currency: "EUR" } }, "limits.daily_spend_cap.currency: "],
        ["a cap that is not a number", { monthly_spend_cap: usd("lots") }, "limits.monthly_spend_cap.amount: "],
      ])("UpdateCustomerLimits with %s is INVALID_ARGUMENT naming the field and keeps the old limits", async (_what, bad, prefix) => {
        await catalog.call("UpdateCustomerLimits", { customer_id: "frank", limits: { daily_spend_cap: usd("7"), max_authorizations_per_second: 3 } });
        const before = await getCustomer("frank");
        const error = await refusal(catalog.call("UpdateCustomerLimits", { customer_id: "frank", limits: bad }));
        expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(error.details.startsWith(prefix)).toBe(true);
        expect(await getCustomer("frank")).toEqual(before);
        expect(before.limits.daily_spend_cap).toEqual(usd("7"));
      });

      it("UpdateCustomerLimits without limits is INVALID_ARGUMENT naming limits", async () => {
        const error = await refusal(catalog.call("UpdateCustomerLimits", { customer_id: "frank" }));
        expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(error.details.startsWith("limits: ")).toBe(true);
      });

      it("SetCustomerStatus suspends and reactivates a customer", async () => {
        const suspended = (await catalog.call("SetCustomerStatus", { customer_id: "frank", status: "CUSTOMER_STATUS_SUSPENDED" })) as { customer: Customer };
        expect(suspended.customer.status).toBe("CUSTOMER_STATUS_SUSPENDED");
        expect((await getCustomer("frank")).status).toBe("CUSTOMER_STATUS_SUSPENDED");
        const active = (await catalog.call("SetCustomerStatus", { customer_id: "frank", status: "CUSTOMER_STATUS_ACTIVE" })) as { customer: Customer };
        expect(active.customer.status).toBe("CUSTOMER_STATUS_ACTIVE");
        expect((await getCustomer("frank")).status).toBe("CUSTOMER_STATUS_ACTIVE");
      });

      it.each([
        ["an unset status", "CUSTOMER_STATUS_UNSPECIFIED"],
        ["an unknown status number", 7],
      ])("SetCustomerStatus with %s is INVALID_ARGUMENT naming status and changes nothing", async (_what, status) => {
        await catalog.call("SetCustomerStatus", { customer_id: "frank", status: "CUSTOMER_STATUS_SUSPENDED" });
        const error = await refusal(catalog.call("SetCustomerStatus", { customer_id: "frank", status }));
        expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(error.details.startsWith("status: ")).toBe(true);
        expect((await getCustomer("frank")).status).toBe("CUSTOMER_STATUS_SUSPENDED");
        await catalog.call("SetCustomerStatus", { customer_id: "frank", status: "CUSTOMER_STATUS_ACTIVE" });
      });

      it("UpdateCustomerLimits and SetCustomerStatus of an unknown customer are NOT_FOUND", async () => {
        const limitsError = await refusal(catalog.call("UpdateCustomerLimits", { customer_id: "ghost", limits: {} }));
        expect(limitsError.code).toBe(grpc.status.NOT_FOUND);
        const statusError = await refusal(catalog.call("SetCustomerStatus", { customer_id: "ghost", status: "CUSTOMER_STATUS_SUSPENDED" }));
        expect(statusError.code).toBe(grpc.status.NOT_FOUND);
        expect(statusError.details).toContain('"ghost"');
      });
    });
  });

  describe("authentication", () => {
    it.each([
      ["no key", null],
      ["a malformed key", "not-a-tollgate-key"],
      ["a well-formed key that does not exist", `tg.key_${"0".repeat(20)}.${"A".repeat(43)}`],
    ] as [string, string | null][])("refuses ListMeters and CreatePlan with %s as UNAUTHENTICATED, creating nothing", async (_what, apiKey) => {
      const list = await refusal(catalog.call("ListMeters", {}, { apiKey }));
      expect(list.code).toBe(grpc.status.UNAUTHENTICATED);
      const create = await refusal(catalog.call("CreatePlan", { key: "sneaky", currency: "USD" }, { apiKey }));
      expect(create.code).toBe(grpc.status.UNAUTHENTICATED);
      expect((await refusal(catalog.call("GetPlan", { plan_key: "sneaky" }))).code).toBe(grpc.status.NOT_FOUND);
    });

    it("refuses the tenant's own key id with a wrong secret", async () => {
      const [prefix, keyId, secret] = server.apiKey.split(".");
      const wrongSecret = `${prefix}.${keyId}.${(secret ?? "").startsWith("A") ? "B" : "A"}${(secret ?? "").slice(1)}`;
      expect(wrongSecret).not.toBe(server.apiKey);
      const error = await refusal(catalog.call("ListPlans", {}, { apiKey: wrongSecret }));
      expect(error.code).toBe(grpc.status.UNAUTHENTICATED);
    });
  });
});
