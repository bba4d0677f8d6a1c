import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as grpc from "@grpc/grpc-js";
import pg from "pg";
import { backends } from "../support/databases.js";
import { exact, sum, text } from "../support/exact-decimal.js";
import { grpcService } from "../support/grpc-client.js";
import { costPlus, defineRatingCatalog, expectedCharge, expectedCost, msOf, ts, type Meter, type ModelKey } from "../support/rating-catalog.js";
import { startTestServer, type TestServer } from "../support/server.js";

/*
 * RatingService end to end over the gRPC port of a real server, with a plain @grpc/grpc-js
 * client built from proto/ (snake_case fields, enums as strings, int64 as strings). The catalog
 * is built through CatalogService: gpt-4o and claude-sonnet-4 at list prices, the cost-plus plan
 * `pro` (cost * 1.25), and customers who started 40 days ago so late events are priced by the
 * terms in force when they happened. Each test uses its own customers; expected amounts are
 * worked out by hand (and cross-checked with exact bigint arithmetic where noted).
 */

type Timestamp = { seconds: string; nanos: number };
type Money = { amount: string; currency: string };
type Quantities = Record<string, string>;
type UsageEvent = { event_id: string; customer_id: string; model: string; occurred_at?: Timestamp; quantities?: Quantities; attributes?: Record<string, string> };
type IngestResult = { event_id: string; status: string; charge: Money | null; cost: Money | null; error: string };
type RatedEvent = {
  event_id: string;
  customer_id: string;
  model: string;
  occurred_at: Timestamp;
  received_at: Timestamp;
  quantities: Quantities;
  attributes: Record<string, string>;
  charge: Money;
  cost: Money;
  margin: Money | null;
  plan_key: string;
  plan_version: number;
  cost_version: number;
  reservation_id: string;
  chain_seq: string;
  hash: string;
};
type SummaryRow = { key: string; quantities: Quantities; charge: Money; cost: Money; margin: Money | null; event_count: string };
type Summary = { rows: SummaryRow[]; total_charge: Money | null; total_cost: Money | null; total_margin: Money | null; event_count: string; totals_by_currency: SummaryRow[] };
type Balance = { available: Money; credits_remaining: Money; overage_used: Money; overage_limit: Money; version: string };
type Quote = { charge: Money; cost: Money; margin: Money | null; plan_key: string; plan_version: number; cost_version: number };

const day = 86_400_000;
const hour = 3_600_000;
const usd = (amount: string): Money => ({ amount, currency: "USD" });
const iso = (ms: number) => new Date(ms).toISOString();
const startOfUtcDay = (ms: number) => ms - (((ms % day) + day) % day);

/** The usage of the golden examples. */
const q1 = { input_tokens: "1200", output_tokens: "300", cached_input_tokens: "100" };
const q2 = { input_tokens: "1000", output_tokens: "500", cached_input_tokens: "2000" };
const million = { input_tokens: "1000000" };
/** Graduated input tokens: the period's first 1,000 at 0.00001, the next 1,000 at 0.000004, the rest at 0.000001. */
const tiers = { expression: "graduated(input_tokens, period.input_tokens, 0, tier1, 1000, tier2, 2000, tier3)", rates: { tier1: "0.00001", tier2: "0.000004", tier3: "0.000001" } };

const accepted = (eventId: string, charge: string, cost: string): IngestResult => ({ event_id: eventId, status: "INGEST_STATUS_ACCEPTED", charge: usd(charge), cost: usd(cost), error: "" });
const duplicate = (eventId: string, charge: string, cost: string): IngestResult => ({ event_id: eventId, status: "INGEST_STATUS_DUPLICATE", charge: usd(charge), cost: usd(cost), error: "" });
const rejected = (eventId: string, error: string | RegExp) => ({
  event_id: eventId,
  status: "INGEST_STATUS_REJECTED",
  charge: null,
  cost: null,
  error: typeof error === "string" ? error : expect.stringMatching(error),
});
const row = (key: string, quantities: Quantities, charge: string, cost: string, margin: string, events: number): SummaryRow => ({
  key,
  quantities,
  charge: usd(charge),
  cost: usd(cost),
  margin: usd(margin),
  event_count: String(events),
});

async function refusal(call: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await call;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error("expected the call to be refused, but it succeeded");
}

describe.each(backends())("RatingService over gRPC on %s Postgres", (backend) => {
  let server: TestServer;
  let catalog: ReturnType<typeof grpcService>;
  let rating: ReturnType<typeof grpcService>;
  let wallet: ReturnType<typeof grpcService>;
  /** "Now" for this run: customers started 40 days before it. */
  const now = Date.now();
  const started = ts(now - 40 * day);

  const ingest = async (events: UsageEvent[]) => ((await rating.call("IngestUsage", { events })) as { results: IngestResult[] }).results;
  const quote = async (request: object) => (await rating.call("QuotePrice", request)) as Quote;
  const summary = async (request: object) => (await rating.call("GetUsageSummary", request)) as Summary;
  const list = async (request: object) => (await rating.call("ListRatedEvents", request)) as { events: RatedEvent[]; next_page_token: string };
  const balance = async (customerId: string) => ((await wallet.call("GetBalance", { customer_id: customerId })) as { balance: Balance }).balance;
  const verify = async () => (await rating.call("VerifyEventLog", {})) as { intact: boolean; verified_events: string; first_broken_event_id: string; problem: string };
  const customer = (id: string, planKey = "pro", startedAt = started) => catalog.call("CreateCustomer", { customer_id: id, plan_key: planKey, started_at: startedAt });
  /** Every event of a listing, page after page. */
  async function listAll(request: object, pageSize: number): Promise<{ pages: RatedEvent[][]; tokens: string[] }> {
    const pages: RatedEvent[][] = [];
    const tokens: string[] = [];
    let token = "";
    do {
      const page = await list({ ...request, page_size: pageSize, page_token: token });
      pages.push(page.events);
      tokens.push(page.next_page_token);
      token = page.next_page_token;
      if (pages.length > 1000) throw new Error("the listing does not end");
    } while (token !== "");
    return { pages, tokens };
  }

  beforeAll(async () => {
    server = await startTestServer(backend);
    catalog = grpcService(server.grpcAddress, "CatalogService", server.apiKey);
    rating = grpcService(server.grpcAddress, "RatingService", server.apiKey);
    wallet = grpcService(server.grpcAddress, "WalletService", server.apiKey);
    await defineRatingCatalog(catalog);
    // A model the plans do not price.
    await catalog.call("DefineModel", { key: "llama-3-70b", vendor: "meta", cost: { expression: "input_tokens * rate_in", rates: { rate_in: "0.0000009" } }, currency: "USD", effective_from: ts(Date.UTC(2024, 0, 1)) });
    const plans: [string, object][] = [
      ["premium", { expression: "cost * 1.5", rates: {} }],
      ["repriced", costPlus],
      ["tiered", tiers],
      ["tiered-b", tiers],
    ];
    for (const [key, formula] of plans) {
      await catalog.call("CreatePlan", { key, currency: "USD" });
      await catalog.call("PublishPlanVersion", { plan_key: key, version: { effective_from: ts(Date.UTC(2025, 0, 1)), prices: [{ model: "*", formula }] } });
    }
    for (const id of ["acme", "initech", "hooli", "umbrella", "switcher", "bulk-co", "sum-a", "sum-b", "pager", "ledger"]) await customer(id);
    await customer("reprice-co", "repriced");
    await customer("tier-co", "tiered");
    await customer("tier-switch", "tiered");
    await customer("newbie", "pro", ts(now - 10 * day));
    await catalog.call("CreatePlan", { key: "euro", currency: "EUR" });
    await catalog.call("PublishPlanVersion", { plan_key: "euro", version: { effective_from: ts(Date.UTC(2025, 0, 1)), prices: [{ model: "*", formula: { expression: "input_tokens * rate", rates: { rate: "0.000002" } } }] } });
    await customer("euro-co", "euro");
    await customer("dollar-co");
  }, 60_000);
  afterAll(async () => {
    catalog.close();
    rating.close();
    wallet.close();
    await server.stop();
  });

  it("quotes the golden charges exactly, with cost, margin, plan and versions, and records nothing", async () => {
    expect(await quote({ customer_id: "acme", model: "gpt-4o", quantities: q1 })).toEqual({
      // 1200 × 0.0000025 + 300 × 0.00001 + 100 × 0.00000125 = 0.006125; × 1.25
      charge: usd("0.00765625"),
      cost: usd("0.006125"),
      margin: usd("0.00153125"),
      plan_key: "pro",
      plan_version: 1,
      cost_version: 1,
    });
    expect(await quote({ customer_id: "acme", model: "claude-sonnet-4", quantities: q2 })).toEqual({
      // 1000 × 0.000003 + 500 × 0.000015 + 2000 × 0.0000003 = 0.0111; × 1.25
      charge: usd("0.013875"),
      cost: usd("0.0111"),
      margin: usd("0.002775"),
      plan_key: "pro",
      plan_version: 1,
      cost_version: 1,
    });
    // Absent meters are zero.
    expect((await quote({ customer_id: "acme", model: "gpt-4o", quantities: million })).charge).toEqual(usd("3.125"));
    expect((await quote({ customer_id: "acme", model: "gpt-4o", quantities: {} })).charge).toEqual(usd("0"));
    // The hand-worked amounts agree with exact arithmetic.
    expect(text(expectedCharge("gpt-4o", q1))).toBe("0.00765625");
    expect(text(expectedCharge("claude-sonnet-4", q2))).toBe("0.013875");
    expect((await list({ customer_id: "acme" })).events).toEqual([]);
    expect((await balance("acme")).overage_used).toEqual(usd("0"));
  });

  it("refuses to quote an unknown customer or model (NOT_FOUND), an unpriced model (FAILED_PRECONDITION) and bad quantities (INVALID_ARGUMENT)", async () => {
    const ghost = await refusal(quote({ customer_id: "ghost", model: "gpt-4o", quantities: q1 }));
    expect(ghost.code).toBe(grpc.status.NOT_FOUND);
    expect(ghost.details).toContain("ghost");
    const model = await refusal(quote({ customer_id: "acme", model: "gpt-5", quantities: q1 }));
    expect(model.code).toBe(grpc.status.NOT_FOUND);
    expect(model.details).toContain("gpt-5");
    const unpriced = await refusal(quote({ customer_id: "acme", model: "llama-3-70b", quantities: { input_tokens: "10" } }));
    expect(unpriced.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(unpriced.details).toBe('plan "pro" version 1 does not price model "llama-3-70b"');
    const meter = await refusal(quote({ customer_id: "acme", model: "gpt-4o", quantities: { bogus: "1" } }));
    expect(meter.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(meter.details.startsWith("quantities[bogus]: ")).toBe(true);
    const negative = await refusal(quote({ customer_id: "acme", model: "gpt-4o", quantities: { input_tokens: "-1" } }));
    expect(negative.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(negative.details.startsWith("quantities[input_tokens]: ")).toBe(true);
  });

  it("accepts usage at the golden charges and costs, records it as priced, and debits the wallet by exactly their sum", async () => {
    const results = await ingest([
      { event_id: "golden-1", customer_id: "acme", model: "gpt-4o", occurred_at: ts(now - 2 * hour), quantities: q1, attributes: { region: "eu", "feature:chat": "on" } },
      { event_id: "golden-2", customer_id: "acme", model: "claude-sonnet-4", occurred_at: ts(now - hour), quantities: q2 },
      { event_id: "golden-3", customer_id: "acme", model: "gpt-4o", occurred_at: ts(now - hour + 1), quantities: million },
    ]);
    expect(results).toEqual([accepted("golden-1", "0.00765625", "0.006125"), accepted("golden-2", "0.013875", "0.0111"), accepted("golden-3", "3.125", "2.5")]);

    const { events } = await list({ customer_id: "acme" });
    expect(events.map((e) => [e.event_id, e.charge.amount, e.cost.amount, e.margin?.amount, e.plan_key, e.plan_version, e.cost_version])).toEqual([
      ["golden-1", "0.00765625", "0.006125", "0.00153125", "pro", 1, 1],
      ["golden-2", "0.013875", "0.0111", "0.002775", "pro", 1, 1],
      ["golden-3", "3.125", "2.5", "0.625", "pro", 1, 1],
    ]);
    const [first] = events;
    expect(first).toMatchObject({
      customer_id: "acme",
      model: "gpt-4o",
      occurred_at: ts(now - 2 * hour),
      quantities: q1,
      attributes: { region: "eu", "feature:chat": "on" },
      reservation_id: "",
      chain_seq: "1",
    });
    expect(Math.abs(msOf(first?.received_at ?? { seconds: "0", nanos: 0 }) - Date.now())).toBeLessThan(60_000);
    expect(events.map((e) => e.chain_seq)).toEqual(["1", "2", "3"]);
    for (const e of events) expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(events.map((e) => e.hash)).size).toBe(3);

    // 0.00765625 + 0.013875 + 3.125; no credits, so all of it is overage (never refused).
    const after = await balance("acme");
    expect(after.overage_used).toEqual(usd("3.14653125"));
    expect(after.available).toEqual(usd("-3.14653125"));
    expect(after.credits_remaining).toEqual(usd("0"));
  });

  it("never refuses usage that happened: credits first, then overage past the limit, even for a suspended customer over its spend cap", async () => {
    await customer("spender");
    await wallet.call("GrantCredits", { customer_id: "spender", grant_id: "top-up", amount: usd("1"), source: "GRANT_SOURCE_PURCHASE" });
    await catalog.call("UpdateCustomerLimits", { customer_id: "spender", limits: { daily_spend_cap: usd("0.01"), monthly_spend_cap: usd("0.01") } });
    await catalog.call("SetCustomerStatus", { customer_id: "spender", status: "CUSTOMER_STATUS_SUSPENDED" });
    expect(
      await ingest([
        { event_id: "spend-1", customer_id: "spender", model: "gpt-4o", occurred_at: ts(now - hour), quantities: million },
        { event_id: "spend-2", customer_id: "spender", model: "gpt-4o", occurred_at: ts(now - hour), quantities: q1 },
      ]),
    ).toEqual([accepted("spend-1", "3.125", "2.5"), accepted("spend-2", "0.00765625", "0.006125")]);
    const after = await balance("spender");
    // 3.13265625 charged: 1 from the credits, 2.13265625 overage (the plan allows none).
    expect([after.credits_remaining, after.overage_used, after.available]).toEqual([usd("0"), usd("2.13265625"), usd("-2.13265625")]);
  });

  it("answers a retry with the same id and content as DUPLICATE with the original charge, across calls and within one, and debits once", async () => {
    expect(
      await ingest([
        { event_id: "dup-1", customer_id: "hooli", model: "gpt-4o", occurred_at: ts(now - hour), quantities: q1 },
        // No occurred_at: "now", and a retry that also leaves it unset is the same event.
        { event_id: "dup-2", customer_id: "hooli", model: "claude-sonnet-4", quantities: q2 },
      ]),
    ).toEqual([accepted("dup-1", "0.00765625", "0.006125"), accepted("dup-2", "0.013875", "0.0111")]);
    const once = await balance("hooli");
    expect(once.overage_used).toEqual(usd("0.02153125"));

    expect(
      await ingest([
        { event_id: "dup-2", customer_id: "hooli", model: "claude-sonnet-4", quantities: q2 },
        { event_id: "dup-3", customer_id: "hooli", model: "gpt-4o", occurred_at: ts(now - hour), quantities: million },
        { event_id: "dup-3", customer_id: "hooli", model: "gpt-4o", occurred_at: ts(now - hour), quantities: million },
        { event_id: "dup-1", customer_id: "hooli", model: "gpt-4o", occurred_at: ts(now - hour), quantities: q1 },
      ]),
    ).toEqual([duplicate("dup-2", "0.013875", "0.0111"), accepted("dup-3", "3.125", "2.5"), duplicate("dup-3", "3.125", "2.5"), duplicate("dup-1", "0.00765625", "0.006125")]);

    // The whole call again: nothing new.
    const retried = await ingest([
      { event_id: "dup-3", customer_id: "hooli", model: "gpt-4o", occurred_at: ts(now - hour), quantities: million },
      { event_id: "dup-1", customer_id: "hooli", model: "gpt-4o", occurred_at: ts(now - hour), quantities: q1 },
    ]);
    expect(retried).toEqual([duplicate("dup-3", "3.125", "2.5"), duplicate("dup-1", "0.00765625", "0.006125")]);

    const after = await balance("hooli");
    expect(after.overage_used).toEqual(usd("3.14653125"));
    const { events } = await list({ customer_id: "hooli" });
    expect(events.map((e) => e.event_id).sort()).toEqual(["dup-1", "dup-2", "dup-3"]);
    expect((await summary({ customer_id: "hooli" })).event_count).toBe("3");
  });

  it("rejects an id reused with different content, naming event_id, across calls and within one, and changes nothing", async () => {
    const at = ts(now - hour);
    expect(await ingest([{ event_id: "re-1", customer_id: "umbrella", model: "gpt-4o", occurred_at: at, quantities: q1 }])).toEqual([accepted("re-1", "0.00765625", "0.006125")]);
    const before = await balance("umbrella");

    const conflict = `"re-1" was already recorded with different content (customer umbrella, model gpt-4o, ${iso(now - hour)})`;
    const changes: UsageEvent[] = [
      { event_id: "re-1", customer_id: "umbrella", model: "gpt-4o", occurred_at: at, quantities: { ...q1, output_tokens: "301" } },
      { event_id: "re-1", customer_id: "umbrella", model: "claude-sonnet-4", occurred_at: at, quantities: q1 },
      { event_id: "re-1", customer_id: "umbrella", model: "gpt-4o", occurred_at: ts(now - hour + 1), quantities: q1 },
      { event_id: "re-1", customer_id: "umbrella", model: "gpt-4o", quantities: q1 },
      { event_id: "re-1", customer_id: "acme", model: "gpt-4o", occurred_at: at, quantities: q1 },
      { event_id: "re-1", customer_id: "umbrella", model: "gpt-4o", occurred_at: at, quantities: q1, attributes: { region: "us" } },
    ];
    for (const changed of changes) {
      expect(await ingest([{ event_id: "ok-beside", customer_id: "umbrella", model: "gpt-4o", occurred_at: at, quantities: q1 }, changed])).toEqual([
        expect.objectContaining({ event_id: "ok-beside", charge: usd("0.00765625") }),
        rejected("re-1", `events[1].event_id: ${conflict}`),
      ]);
    }

    expect(
      await ingest([
        { event_id: "re-2", customer_id: "umbrella", model: "gpt-4o", occurred_at: at, quantities: q1 },
        { event_id: "re-2", customer_id: "umbrella", model: "gpt-4o", occurred_at: at, quantities: million },
      ]),
    ).toEqual([accepted("re-2", "0.00765625", "0.006125"), rejected("re-2", 'events[1].event_id: "re-2" appears earlier in this call (events[0]) with different content')]);

    const after = await balance("umbrella");
    // ok-beside once, re-2 once.
    expect(after.overage_used).toEqual(usd(text(exact(before.overage_used.amount) + 2n * exact("0.00765625"))));
    const { events } = await list({ customer_id: "umbrella" });
    expect(events.map((e) => [e.event_id, e.model, e.quantities]).sort()).toEqual([
      ["ok-beside", "gpt-4o", q1],
      ["re-1", "gpt-4o", q1],
      ["re-2", "gpt-4o", q1],
    ]);
  });

  it("answers DUPLICATE to a retry that follows a conflicting reuse of its id in the same call", async () => {
    const at = ts(now - hour);
    expect(await ingest([{ event_id: "re-3", customer_id: "umbrella", model: "gpt-4o", occurred_at: at, quantities: q1 }])).toEqual([accepted("re-3", "0.00765625", "0.006125")]);
    // The second event is the recorded one exactly: a retry, whatever came before it in the call.
    expect(
      await ingest([
        { event_id: "re-3", customer_id: "umbrella", model: "gpt-4o", occurred_at: at, quantities: million },
        { event_id: "re-3", customer_id: "umbrella", model: "gpt-4o", occurred_at: at, quantities: q1 },
      ]),
    ).toEqual([rejected("re-3", /^events\[0\]\.event_id: "re-3" was already recorded with different content/), duplicate("re-3", "0.00765625", "0.006125")]);
  });

  it("records a call sent several times at once exactly once: one ACCEPTED per event, the rest DUPLICATE at the same charge", async () => {
    await customer("racer");
    const events = Array.from({ length: 20 }, (_, i) => ({ event_id: `race-${i}`, customer_id: "racer", model: i % 2 ? "gpt-4o" : "claude-sonnet-4", occurred_at: ts(now - hour + i), quantities: q1 }));
    const answers = await Promise.all(Array.from({ length: 5 }, () => ingest(events)));
    events.forEach((e, i) => {
      const charge = e.model === "gpt-4o" ? "0.00765625" : "0.0101625";
      const outcomes = answers.map((results) => results[i]);
      expect(outcomes.filter((r) => r?.status === "INGEST_STATUS_ACCEPTED")).toHaveLength(1);
      expect(outcomes.filter((r) => r?.status === "INGEST_STATUS_DUPLICATE")).toHaveLength(4);
      expect(outcomes.every((r) => r?.event_id === e.event_id && r.charge?.amount === charge)).toBe(true);
    });
    // 10 × 0.00765625 + 10 × 0.0101625 (claude: 0.00813 × 1.25)
    expect((await balance("racer")).overage_used).toEqual(usd("0.1781875"));
    expect((await summary({ customer_id: "racer" })).event_count).toBe("20");
  });

  it("names each event's own field path when an event is repeated in a call and rejected", async () => {
    const ghost = { event_id: "ghost-twice", customer_id: "ghost", model: "gpt-4o", quantities: q1 };
    const old = { event_id: "old-twice", customer_id: "umbrella", model: "gpt-4o", occurred_at: ts(now - 36 * day), quantities: q1 };
    expect(await ingest([ghost, old, ghost, old])).toEqual([
      rejected("ghost-twice", 'events[0].customer_id: customer "ghost" not found'),
      rejected("old-twice", /^events\[1\]\.occurred_at: is older than the lateness window/),
      rejected("ghost-twice", 'events[2].customer_id: customer "ghost" not found'),
      rejected("old-twice", /^events\[3\]\.occurred_at: is older than the lateness window/),
    ]);
  });

  it("rejects each bad event with its field path, in request order, and accepts the others of the same call", async () => {
    const results = await ingest([
      { event_id: "mix-ok-1", customer_id: "initech", model: "gpt-4o", occurred_at: ts(now - 3 * hour), quantities: q1 },
      { event_id: "mix-meter", customer_id: "initech", model: "gpt-4o", quantities: { bogus: "5" } },
      { event_id: "mix-negative", customer_id: "initech", model: "gpt-4o", quantities: { input_tokens: "-5" } },
      { event_id: "mix-nan", customer_id: "initech", model: "gpt-4o", quantities: { input_tokens: "12abc" } },
      { event_id: "", customer_id: "initech", model: "gpt-4o", quantities: q1 },
      { event_id: "mix-customer", customer_id: "ghost", model: "gpt-4o", quantities: q1 },
      { event_id: "mix-model", customer_id: "initech", model: "gpt-5", quantities: q1 },
      { event_id: "mix-unpriced", customer_id: "initech", model: "llama-3-70b", quantities: { input_tokens: "10" } },
      { event_id: "mix-too-old", customer_id: "initech", model: "gpt-4o", occurred_at: ts(now - 36 * day), quantities: q1 },
      { event_id: "mix-future", customer_id: "initech", model: "gpt-4o", occurred_at: ts(now + 10 * 60_000), quantities: q1 },
      { event_id: "mix-before-plan", customer_id: "newbie", model: "gpt-4o", occurred_at: ts(now - 20 * day), quantities: q1 },
      { event_id: "mix-attribute", customer_id: "initech", model: "gpt-4o", quantities: q1, attributes: { "9lives": "x" } },
      { event_id: "mix-ok-2", customer_id: "initech", model: "claude-sonnet-4", occurred_at: ts(now - 3 * hour + 1), quantities: q2 },
      { event_id: "mix-no-customer", customer_id: "", model: "gpt-4o", quantities: q1 },
      { event_id: "mix-ok-3", customer_id: "newbie", model: "gpt-4o", occurred_at: ts(now - 5 * day), quantities: million },
      // Within the 5 minutes of clock skew allowed.
      { event_id: "mix-soon", customer_id: "initech", model: "gpt-4o", occurred_at: ts(now + 4 * 60_000), quantities: q1 },
    ]);
    expect(results).toEqual([
      accepted("mix-ok-1", "0.00765625", "0.006125"),
      rejected("mix-meter", 'events[1].quantities[bogus]: "bogus" is not a defined meter; defined meters: cached_input_tokens, input_tokens, output_tokens'),
      rejected("mix-negative", "events[2].quantities[input_tokens]: must not be negative, got -5"),
      rejected("mix-nan", /^events\[3\]\.quantities\[input_tokens\]: \S/),
      rejected("", /^events\[4\]\.event_id: \S/),
      rejected("mix-customer", 'events[5].customer_id: customer "ghost" not found'),
      rejected("mix-model", 'events[6].model: model "gpt-5" not found'),
      rejected("mix-unpriced", 'events[7]: plan "pro" version 1 does not price model "llama-3-70b"'),
      rejected("mix-too-old", `events[8].occurred_at: is older than the lateness window (35 days): ${iso(now - 36 * day)}`),
      rejected("mix-future", `events[9].occurred_at: is more than 300 seconds in the future: ${iso(now + 10 * 60_000)}`),
      rejected("mix-before-plan", `events[10]: customer "newbie" had no plan at ${iso(now - 20 * day)} (its first subscription starts later)`),
      rejected("mix-attribute", /^events\[11\]\.attributes\[9lives\]: \S/),
      accepted("mix-ok-2", "0.013875", "0.0111"),
      rejected("mix-no-customer", /^events\[13\]\.customer_id: \S/),
      accepted("mix-ok-3", "3.125", "2.5"),
      accepted("mix-soon", "0.00765625", "0.006125"),
    ]);

    // Exactly the accepted events were recorded and debited.
    expect((await list({ customer_id: "initech" })).events.map((e) => e.event_id)).toEqual(["mix-ok-1", "mix-ok-2", "mix-soon"]);
    expect((await list({ customer_id: "newbie" })).events.map((e) => e.event_id)).toEqual(["mix-ok-3"]);
    expect((await balance("initech")).overage_used).toEqual(usd("0.0291875"));
    expect((await balance("newbie")).overage_used).toEqual(usd("3.125"));

    // A rejected event left no trace: sent again correctly, it is new.
    expect(await ingest([{ event_id: "mix-meter", customer_id: "initech", model: "gpt-4o", occurred_at: ts(now - 3 * hour + 2), quantities: { input_tokens: "5" } }])).toEqual([
      accepted("mix-meter", "0.000015625", "0.0000125"),
    ]);
  });

  it("refuses a call with no events or more than 10,000 (INVALID_ARGUMENT), and answers 10,000 one by one", async () => {
    const empty = await refusal(ingest([]));
    expect(empty.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(empty.details).toBe("events: must have at least one event");
    const unknown = (i: number): UsageEvent => ({ event_id: `limit-${i}`, customer_id: "ghost", model: "gpt-4o" });
    const tooMany = await refusal(ingest(Array.from({ length: 10_001 }, (_, i) => unknown(i))));
    expect(tooMany.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(tooMany.details).toBe("events: must have at most 10000 events per call, got 10001");
    const most = await ingest(Array.from({ length: 10_000 }, (_, i) => unknown(i)));
    expect(most).toHaveLength(10_000);
    expect(most[9_999]).toEqual(rejected("limit-9999", 'events[9999].customer_id: customer "ghost" not found'));
    expect(most.every((r, i) => r.event_id === `limit-${i}` && r.status === "INGEST_STATUS_REJECTED")).toBe(true);
  }, 30_000);

  it("prices late events by the plan version in force when they happened, after a price change with a later effective_from", async () => {
    expect(await ingest([{ event_id: "rp-1", customer_id: "reprice-co", model: "gpt-4o", occurred_at: ts(now - 5 * day), quantities: q1 }])).toEqual([
      accepted("rp-1", "0.00765625", "0.006125"),
    ]);
    const published = (await catalog.call("PublishPlanVersion", {
      plan_key: "repriced",
      version: { effective_from: ts(now - 3 * day), prices: [{ model: "*", formula: { expression: "cost * 2", rates: {} } }] },
    })) as { plan: { versions: { version: number }[] } };
    expect(published.plan.versions.map((v) => v.version)).toEqual([1, 2]);

    expect(
      await ingest([
        { event_id: "rp-2", customer_id: "reprice-co", model: "gpt-4o", occurred_at: ts(now - 2 * day), quantities: q1 },
        { event_id: "rp-3", customer_id: "reprice-co", model: "gpt-4o", occurred_at: ts(now - 4 * day), quantities: q1 },
        { event_id: "rp-4", customer_id: "reprice-co", model: "gpt-4o", quantities: q1 },
        { event_id: "rp-5", customer_id: "reprice-co", model: "gpt-4o", occurred_at: ts(now - 3 * day), quantities: q1 },
      ]),
    ).toEqual([
      accepted("rp-2", "0.01225", "0.006125"),
      accepted("rp-3", "0.00765625", "0.006125"),
      accepted("rp-4", "0.01225", "0.006125"),
      // Exactly at the new version's start: the new version.
      accepted("rp-5", "0.01225", "0.006125"),
    ]);
    const { events } = await list({ customer_id: "reprice-co" });
    expect(events.map((e) => [e.event_id, e.plan_key, e.plan_version, e.charge.amount])).toEqual([
      ["rp-1", "repriced", 1, "0.00765625"],
      ["rp-3", "repriced", 1, "0.00765625"],
      ["rp-5", "repriced", 2, "0.01225"],
      ["rp-2", "repriced", 2, "0.01225"],
      ["rp-4", "repriced", 2, "0.01225"],
    ]);
    expect(await quote({ customer_id: "reprice-co", model: "gpt-4o", quantities: q1, occurred_at: ts(now - 4 * day) })).toMatchObject({ charge: usd("0.00765625"), plan_version: 1 });
    expect(await quote({ customer_id: "reprice-co", model: "gpt-4o", quantities: q1 })).toMatchObject({ charge: usd("0.01225"), plan_version: 2 });
    expect((await balance("reprice-co")).overage_used).toEqual(usd("0.0520625"));
  });

  it("prices late events on either side of a mid-period plan change by the plan in force when they happened", async () => {
    const changeAt = now - hour;
    expect(await ingest([{ event_id: "sw-1", customer_id: "switcher", model: "gpt-4o", occurred_at: ts(now - 3 * hour), quantities: q1 }])).toEqual([
      accepted("sw-1", "0.00765625", "0.006125"),
    ]);
    const changed = (await catalog.call("ChangePlan", { customer_id: "switcher", plan_key: "premium", effective_at: ts(changeAt) })) as {
      customer: { subscriptions: { plan_key: string; started_at: Timestamp; ended_at: Timestamp | null }[] };
    };
    expect(changed.customer.subscriptions).toEqual([
      { plan_key: "pro", started_at: started, ended_at: ts(changeAt) },
      { plan_key: "premium", started_at: ts(changeAt), ended_at: null },
    ]);

    expect(
      await ingest([
        { event_id: "sw-2", customer_id: "switcher", model: "gpt-4o", occurred_at: ts(now - 30 * 60_000), quantities: q1 },
        { event_id: "sw-3", customer_id: "switcher", model: "gpt-4o", occurred_at: ts(now - 2 * hour), quantities: q1 },
        { event_id: "sw-4", customer_id: "switcher", model: "gpt-4o", occurred_at: ts(changeAt - 1), quantities: q1 },
        { event_id: "sw-5", customer_id: "switcher", model: "gpt-4o", occurred_at: ts(changeAt), quantities: q1 },
        { event_id: "sw-6", customer_id: "switcher", model: "claude-sonnet-4", quantities: q2 },
      ]),
    ).toEqual([
      accepted("sw-2", "0.0091875", "0.006125"),
      accepted("sw-3", "0.00765625", "0.006125"),
      accepted("sw-4", "0.00765625", "0.006125"),
      accepted("sw-5", "0.0091875", "0.006125"),
      accepted("sw-6", "0.01665", "0.0111"),
    ]);
    const { events } = await list({ customer_id: "switcher" });
    expect(events.map((e) => [e.event_id, e.plan_key, e.plan_version, e.charge.amount])).toEqual([
      ["sw-1", "pro", 1, "0.00765625"],
      ["sw-3", "pro", 1, "0.00765625"],
      ["sw-4", "pro", 1, "0.00765625"],
      ["sw-5", "premium", 1, "0.0091875"],
      ["sw-2", "premium", 1, "0.0091875"],
      ["sw-6", "premium", 1, "0.01665"],
    ]);
    expect(await quote({ customer_id: "switcher", model: "gpt-4o", quantities: q1, occurred_at: ts(now - 2 * hour) })).toMatchObject({ plan_key: "pro", charge: usd("0.00765625") });
    expect(await quote({ customer_id: "switcher", model: "gpt-4o", quantities: q1 })).toMatchObject({ plan_key: "premium", charge: usd("0.0091875") });
  });

  it("prices graduated tiers on the period's usage so far, splitting an event that crosses a tier boundary", async () => {
    expect((await quote({ customer_id: "tier-co", model: "gpt-4o", quantities: { input_tokens: "600" } })).charge).toEqual(usd("0.006"));
    expect(
      await ingest([
        { event_id: "tier-1", customer_id: "tier-co", model: "gpt-4o", quantities: { input_tokens: "600" } },
        // 400 × 0.00001 + 200 × 0.000004
        { event_id: "tier-2", customer_id: "tier-co", model: "gpt-4o", quantities: { input_tokens: "600" } },
        { event_id: "tier-3", customer_id: "tier-co", model: "gpt-4o", quantities: { input_tokens: "100" } },
      ]),
    ).toEqual([accepted("tier-1", "0.006", "0.0015"), accepted("tier-2", "0.0048", "0.0015"), accepted("tier-3", "0.0004", "0.00025")]);
    expect((await quote({ customer_id: "tier-co", model: "gpt-4o", quantities: { input_tokens: "300" } })).charge).toEqual(usd("0.0012"));
    expect(
      await ingest([
        { event_id: "tier-4", customer_id: "tier-co", model: "gpt-4o", quantities: { input_tokens: "300" } },
        // A retry is the original charge, not a re-pricing at today's tier...
        { event_id: "tier-2", customer_id: "tier-co", model: "gpt-4o", quantities: { input_tokens: "600" } },
        // ...and neither it nor a rejected event adds to the period's usage.
        { event_id: "tier-1", customer_id: "tier-co", model: "gpt-4o", quantities: { input_tokens: "5000" } },
        { event_id: "tier-bad", customer_id: "tier-co", model: "gpt-4o", quantities: { input_tokens: "5000", bogus: "1" } },
      ]),
    ).toEqual([
      accepted("tier-4", "0.0012", "0.00075"),
      duplicate("tier-2", "0.0048", "0.0015"),
      rejected("tier-1", /^events\[2\]\.event_id: /),
      rejected("tier-bad", /^events\[3\]\.quantities\[bogus\]: /),
    ]);
    // 1,600 used: 400 × 0.000004 + 100 × 0.000001.
    expect((await quote({ customer_id: "tier-co", model: "gpt-4o", quantities: { input_tokens: "500" } })).charge).toEqual(usd("0.0017"));
    expect(await ingest([{ event_id: "tier-5", customer_id: "tier-co", model: "gpt-4o", quantities: { input_tokens: "500" } }])).toEqual([accepted("tier-5", "0.0017", "0.00125")]);
    const s = await summary({ customer_id: "tier-co" });
    expect(s.total_charge).toEqual(usd("0.0141"));
    expect(s.rows).toEqual([row("gpt-4o", { input_tokens: "2100" }, "0.0141", "0.00525", "0.00885", 5)]);
  });

  it("counts period usage per plan stretch: a plan change mid-period starts the new plan's tiers from zero, late events continue the old plan's", async () => {
    // Three hours of one billing period (the previous one if this one began less than three hours ago).
    const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
    const end = now - monthStart > 3 * hour + 1000 ? now : monthStart - 1;
    const at = (fraction: number) => Math.round(end - 3 * hour + fraction * 3 * hour);
    await ingest([{ event_id: "ts-1", customer_id: "tier-switch", model: "gpt-4o", occurred_at: ts(at(0.1)), quantities: { input_tokens: "800" } }]);
    await catalog.call("ChangePlan", { customer_id: "tier-switch", plan_key: "tiered-b", effective_at: ts(at(0.5)) });
    expect(
      await ingest([
        // New stretch, from zero: 800 × 0.00001.
        { event_id: "ts-2", customer_id: "tier-switch", model: "gpt-4o", occurred_at: ts(at(0.7)), quantities: { input_tokens: "800" } },
        // Old stretch, after ts-1's 800: 200 × 0.00001 + 600 × 0.000004.
        { event_id: "ts-3", customer_id: "tier-switch", model: "gpt-4o", occurred_at: ts(at(0.3)), quantities: { input_tokens: "800" } },
        // New stretch, after ts-2's 800: 200 × 0.00001 + 200 × 0.000004.
        { event_id: "ts-4", customer_id: "tier-switch", model: "gpt-4o", occurred_at: ts(at(0.9)), quantities: { input_tokens: "400" } },
      ]),
    ).toEqual([accepted("ts-2", "0.008", "0.002"), accepted("ts-3", "0.0044", "0.002"), accepted("ts-4", "0.0028", "0.001")]);
    const { events } = await list({ customer_id: "tier-switch" });
    expect(events.map((e) => [e.event_id, e.plan_key, e.charge.amount])).toEqual([
      ["ts-1", "tiered", "0.008"],
      ["ts-3", "tiered", "0.0044"],
      ["ts-2", "tiered-b", "0.008"],
      ["ts-4", "tiered-b", "0.0028"],
    ]);
  });

  it("sums 1,000 one-token events of one call exactly: 1,000 × the single charge", async () => {
    const single = await quote({ customer_id: "bulk-co", model: "gpt-4o", quantities: { input_tokens: "1" } });
    expect(single.charge).toEqual(usd("0.000003125"));
    const results = await ingest(Array.from({ length: 1000 }, (_, i) => ({ event_id: `bulk-${String(i).padStart(4, "0")}`, customer_id: "bulk-co", model: "gpt-4o", quantities: { input_tokens: "1" } })));
    expect(results.filter((r) => r.status === "INGEST_STATUS_ACCEPTED" && r.charge?.amount === "0.000003125" && r.cost?.amount === "0.0000025")).toHaveLength(1000);
    const s = await summary({ customer_id: "bulk-co" });
    expect(s.total_charge).toEqual(usd("0.003125"));
    expect(s.total_cost).toEqual(usd("0.0025"));
    expect(s.total_margin).toEqual(usd("0.000625"));
    expect(s.event_count).toBe("1000");
    expect(s.rows).toEqual([row("gpt-4o", { input_tokens: "1000" }, "0.003125", "0.0025", "0.000625", 1000)]);
    expect((await balance("bulk-co")).overage_used).toEqual(usd("0.003125"));
  });

  it("never adds up amounts in different currencies: one row and one total per currency, no margin across currencies", async () => {
    const at = startOfUtcDay(now - 25 * day);
    const window = { from: ts(at), to: ts(at + day) };
    expect(
      await ingest([
        { event_id: "cur-eur", customer_id: "euro-co", model: "gpt-4o", occurred_at: ts(at + hour), quantities: q1 },
        { event_id: "cur-usd", customer_id: "dollar-co", model: "gpt-4o", occurred_at: ts(at + hour), quantities: q1 },
      ]),
    ).toEqual([
      // 1200 × 0.000002 EUR; the vendor still bills USD.
      { event_id: "cur-eur", status: "INGEST_STATUS_ACCEPTED", charge: { amount: "0.0024", currency: "EUR" }, cost: usd("0.006125"), error: "" },
      accepted("cur-usd", "0.00765625", "0.006125"),
    ]);
    const eur = { key: "gpt-4o", quantities: q1, charge: { amount: "0.0024", currency: "EUR" }, cost: usd("0.006125"), margin: null, event_count: "1" };
    const dollars = row("gpt-4o", q1, "0.00765625", "0.006125", "0.00153125", 1);
    expect(await summary({ ...window, group_by: "GROUP_BY_MODEL" })).toEqual({
      rows: [eur, dollars],
      total_charge: null,
      total_cost: null,
      total_margin: null,
      event_count: "2",
      totals_by_currency: [
        { ...eur, key: "" },
        { ...dollars, key: "" },
      ],
    });
    expect((await list({ customer_id: "euro-co" })).events.map((e) => [e.charge, e.cost, e.margin])).toEqual([[{ amount: "0.0024", currency: "EUR" }, usd("0.006125"), null]]);
    expect(await quote({ customer_id: "euro-co", model: "gpt-4o", quantities: q1 })).toMatchObject({ charge: { amount: "0.0024", currency: "EUR" }, cost: usd("0.006125"), margin: null });
    expect((await balance("euro-co")).overage_used).toEqual({ amount: "0.0024", currency: "EUR" });
  });

  describe("usage summaries read their writes", () => {
    // Two UTC days 30 days back, used by these events only.
    const day1 = startOfUtcDay(now - 30 * day);
    const day2 = day1 + day;
    const window = { from: ts(day1), to: ts(day1 + 2 * day) };
    const key1 = iso(day1).slice(0, 10);
    const key2 = iso(day2).slice(0, 10);
    const totals = row("", { cached_input_tokens: "2100", input_tokens: "1002200", output_tokens: "2800" }, "3.18403125", "2.547225", "0.63680625", 4);

    beforeAll(async () => {
      // s-1 0.00765625/0.006125, s-2 0.013875/0.0111, s-3 3.125/2.5, s-4 0.0375/0.03.
      const results = await ingest([
        { event_id: "s-1", customer_id: "sum-a", model: "gpt-4o", occurred_at: ts(day1), quantities: q1 },
        { event_id: "s-2", customer_id: "sum-b", model: "claude-sonnet-4", occurred_at: ts(day1 + 5 * hour), quantities: q2 },
        { event_id: "s-3", customer_id: "sum-b", model: "gpt-4o", occurred_at: ts(day2 + hour), quantities: million },
        { event_id: "s-4", customer_id: "sum-a", model: "claude-sonnet-4", occurred_at: ts(day2 + 2 * hour), quantities: { output_tokens: "2000" } },
        // Just outside [from, to).
        { event_id: "s-early", customer_id: "sum-a", model: "gpt-4o", occurred_at: ts(day1 - 1), quantities: q1 },
        { event_id: "s-late", customer_id: "sum-b", model: "gpt-4o", occurred_at: ts(day1 + 2 * day), quantities: q1 },
      ]);
      expect(results.map((r) => r.status)).toEqual(Array(6).fill("INGEST_STATUS_ACCEPTED"));
      // The hand-worked amounts below agree with exact arithmetic on the same events.
      const inWindow: [ModelKey, Partial<Record<Meter, string>>][] = [["gpt-4o", q1], ["claude-sonnet-4", q2], ["gpt-4o", million], ["claude-sonnet-4", { output_tokens: "2000" }]];
      expect(results.slice(0, 4).map((r) => [r.charge?.amount, r.cost?.amount])).toEqual(inWindow.map(([m, q]) => [text(expectedCharge(m, q)), text(expectedCost(m, q))]));
      expect(text(sum(inWindow.map(([m, q]) => expectedCharge(m, q))))).toBe(totals.charge.amount);
      expect(text(sum(inWindow.map(([m, q]) => expectedCost(m, q))))).toBe(totals.cost.amount);
    });

    it.each([
      [
        "GROUP_BY_MODEL",
        [
          row("claude-sonnet-4", { cached_input_tokens: "2000", input_tokens: "1000", output_tokens: "2500" }, "0.051375", "0.0411", "0.010275", 2),
          row("gpt-4o", { cached_input_tokens: "100", input_tokens: "1001200", output_tokens: "300" }, "3.13265625", "2.506125", "0.62653125", 2),
        ],
      ],
      [
        "GROUP_BY_UNSPECIFIED",
        [
          row("claude-sonnet-4", { cached_input_tokens: "2000", input_tokens: "1000", output_tokens: "2500" }, "0.051375", "0.0411", "0.010275", 2),
          row("gpt-4o", { cached_input_tokens: "100", input_tokens: "1001200", output_tokens: "300" }, "3.13265625", "2.506125", "0.62653125", 2),
        ],
      ],
      [
        "GROUP_BY_METER",
        [
          // An event counts in the row of every meter it carries, with its whole charge.
          row("cached_input_tokens", { cached_input_tokens: "2100" }, "0.02153125", "0.017225", "0.00430625", 2),
          row("input_tokens", { input_tokens: "1002200" }, "3.14653125", "2.517225", "0.62930625", 3),
          row("output_tokens", { output_tokens: "2800" }, "0.05903125", "0.047225", "0.01180625", 3),
        ],
      ],
      [
        "GROUP_BY_DAY",
        [
          row(key1, { cached_input_tokens: "2100", input_tokens: "2200", output_tokens: "800" }, "0.02153125", "0.017225", "0.00430625", 2),
          row(key2, { input_tokens: "1000000", output_tokens: "2000" }, "3.1625", "2.53", "0.6325", 2),
        ],
      ],
      [
        "GROUP_BY_CUSTOMER",
        [
          row("sum-a", { cached_input_tokens: "100", input_tokens: "1200", output_tokens: "2300" }, "0.04515625", "0.036125", "0.00903125", 2),
          row("sum-b", { cached_input_tokens: "2000", input_tokens: "1001000", output_tokens: "500" }, "3.138875", "2.5111", "0.627775", 2),
        ],
      ],
    ])("%s: exact sums, quantities and event counts over [from, to)", async (groupBy, rows) => {
      expect(await summary({ ...window, group_by: groupBy })).toEqual({
        rows,
        total_charge: usd("3.18403125"),
        total_cost: usd("2.547225"),
        total_margin: usd("0.63680625"),
        event_count: "4",
        totals_by_currency: [totals],
      });
    });

    it("filters by customer", async () => {
      expect(await summary({ ...window, customer_id: "sum-a", group_by: "GROUP_BY_MODEL" })).toEqual({
        rows: [row("claude-sonnet-4", { output_tokens: "2000" }, "0.0375", "0.03", "0.0075", 1), row("gpt-4o", q1, "0.00765625", "0.006125", "0.00153125", 1)],
        total_charge: usd("0.04515625"),
        total_cost: usd("0.036125"),
        total_margin: usd("0.00903125"),
        event_count: "2",
        totals_by_currency: [row("", { cached_input_tokens: "100", input_tokens: "1200", output_tokens: "2300" }, "0.04515625", "0.036125", "0.00903125", 2)],
      });
      const nobody = await summary({ ...window, customer_id: "acme" });
      expect(nobody).toMatchObject({ rows: [], event_count: "0", totals_by_currency: [] });
    });

    it("refuses a range that ends before it starts", async () => {
      const error = await refusal(summary({ from: window.to, to: window.from }));
      expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error.details.startsWith("to: ")).toBe(true);
    });
  });

  describe("ListRatedEvents", () => {
    // 45 events over 4 instants; ids mixing cases and separators, so ties sort by id.
    const base = now - 6 * hour;
    const ids = Array.from({ length: 45 }, (_, i) => [`pg-${String(i).padStart(2, "0")}`, `PG-${i}`, `pg_${i}`, `pg.${i}`, `p${i}`][i % 5] ?? "");
    const at = (i: number) => base + (i % 4) * 1000;
    const expected = ids
      .map((id, i) => ({ id, at: at(i) }))
      .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((e) => e.id);

    beforeAll(async () => {
      // Sent in reverse, so the order listed is not the order received.
      const events = ids.map((id, i) => ({ event_id: id, customer_id: "pager", model: "gpt-4o", occurred_at: ts(at(i)), quantities: { input_tokens: String(i + 1) } })).reverse();
      const results = await ingest(events);
      expect(results.filter((r) => r.status === "INGEST_STATUS_ACCEPTED")).toHaveLength(45);
    });

    it("pages through every event oldest first by (occurred_at, event_id), 7 at a time, without gaps or repeats", async () => {
      const { pages, tokens } = await listAll({ customer_id: "pager" }, 7);
      expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 7, 7, 3]);
      expect(tokens.slice(0, -1).every((t) => t !== "")).toBe(true);
      expect(tokens.at(-1)).toBe("");
      expect(pages.flat().map((e) => e.event_id)).toEqual(expected);
      // Each event as recorded.
      const byId = new Map(pages.flat().map((e) => [e.event_id, e]));
      expect(byId.get(ids[10] ?? "")).toMatchObject({ occurred_at: ts(at(10)), quantities: { input_tokens: "11" }, charge: usd("0.000034375") });
    });

    it("pages a time range of the whole tenant the same way", async () => {
      const { pages } = await listAll({ from: ts(base + 1000), to: ts(base + 3000) }, 7);
      const inRange = ids.map((id, i) => ({ id, at: at(i) })).filter((e) => e.at >= base + 1000 && e.at < base + 3000);
      expect(pages.flat().map((e) => e.event_id)).toEqual(expected.filter((id) => inRange.some((e) => e.id === id)));
      expect(pages.flat()).toHaveLength(inRange.length);
      expect(pages.flat().every((e) => e.customer_id === "pager")).toBe(true);
    });

    it("accepts a page token only for the listing it came from", async () => {
      const first = await list({ customer_id: "pager", page_size: 7 });
      const elsewhere = await refusal(list({ customer_id: "acme", page_size: 7, page_token: first.next_page_token }));
      expect(elsewhere.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(elsewhere.details.startsWith("page_token: ")).toBe(true);
      const otherRange = await refusal(list({ customer_id: "pager", from: ts(base), page_size: 7, page_token: first.next_page_token }));
      expect(otherRange.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(otherRange.details.startsWith("page_token: ")).toBe(true);
      for (const token of ["not-a-token", Buffer.from('{"o":"x"}').toString("base64url")]) {
        const garbage = await refusal(list({ customer_id: "pager", page_size: 7, page_token: token }));
        expect(garbage.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(garbage.details.startsWith("page_token: ")).toBe(true);
      }
      // The same filter with another page size may go on from the token.
      const next = await list({ customer_id: "pager", page_size: 100, page_token: first.next_page_token });
      expect(next.events.map((e) => e.event_id)).toEqual(expected.slice(7));
      for (const size of [-1, 1001]) {
        const error = await refusal(list({ customer_id: "pager", page_size: size }));
        expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(error.details.startsWith("page_size: ")).toBe(true);
      }
    });
  });

  it("keeps each tenant's usage to itself: another tenant's key sees NOT_FOUND and nothing recorded, and may reuse an event id", async () => {
    const before = { events: await list({}), balance: await balance("acme") };
    const otherKey = await server.newTenantKey(`rating-other-${backend}`);
    const other = { rating: grpcService(server.grpcAddress, "RatingService", otherKey), catalog: grpcService(server.grpcAddress, "CatalogService", otherKey) };
    try {
      const quoted = await refusal(other.rating.call("QuotePrice", { customer_id: "acme", model: "gpt-4o" }));
      expect(quoted.code).toBe(grpc.status.NOT_FOUND);
      const ingested = (await other.rating.call("IngestUsage", { events: [{ event_id: "golden-1", customer_id: "acme", model: "gpt-4o" }] })) as { results: IngestResult[] };
      expect(ingested.results).toEqual([rejected("golden-1", 'events[0].customer_id: customer "acme" not found')]);
      expect(await other.rating.call("GetUsageSummary", { group_by: "GROUP_BY_CUSTOMER" })).toMatchObject({ rows: [], event_count: "0", totals_by_currency: [] });
      expect(await other.rating.call("ListRatedEvents", {})).toEqual({ events: [], next_page_token: "" });
      expect(await other.rating.call("ListRatedEvents", { customer_id: "acme" })).toEqual({ events: [], next_page_token: "" });
      expect(await other.rating.call("VerifyEventLog", {})).toEqual({ intact: true, verified_events: "0", first_broken_event_id: "", problem: "" });

      // Ids are per tenant: its own "acme" may use "golden-1" with other content.
      await defineRatingCatalog(other.catalog);
      await other.catalog.call("CreateCustomer", { customer_id: "acme", plan_key: "pro", started_at: started });
      const own = (await other.rating.call("IngestUsage", { events: [{ event_id: "golden-1", customer_id: "acme", model: "gpt-4o", quantities: { input_tokens: "1" } }] })) as { results: IngestResult[] };
      expect(own.results).toEqual([accepted("golden-1", "0.000003125", "0.0000025")]);
      expect(((await other.rating.call("ListRatedEvents", {})) as { events: RatedEvent[] }).events.map((e) => [e.event_id, e.charge.amount])).toEqual([["golden-1", "0.000003125"]]);
    } finally {
      other.rating.close();
      other.catalog.close();
    }
    // The first tenant's log and wallets are untouched.
    expect({ events: await list({}), balance: await balance("acme") }).toEqual(before);
  });

  it("verifies the whole log intact: every recorded event, each chain numbered 1, 2, … and linked", async () => {
    const all = await summary({ group_by: "GROUP_BY_CUSTOMER" });
    expect(Number(all.event_count)).toBeGreaterThan(0);
    expect(await verify()).toEqual({ intact: true, verified_events: all.event_count, first_broken_event_id: "", problem: "" });
    for (const { key, event_count } of all.rows) {
      const { pages } = await listAll({ customer_id: key }, 1000);
      const seqs = pages
        .flat()
        .map((e) => Number(e.chain_seq))
        .sort((a, b) => a - b);
      expect({ key, seqs }).toEqual({ key, seqs: Array.from({ length: Number(event_count) }, (_, i) => i + 1) });
    }
  });

  const serverOnly = backend === "server" ? describe : describe.skip;
  // Skipped on embedded Postgres: it lives in the test server's memory (TOLLGATE_DATA_DIR=:memory:),
  // so no second connection can reach it behind the server's back. The verification itself is
  // the same code on both; verify-log.e2e.test.ts reads an embedded data dir from another process.
  serverOnly("tampering behind the append-only trigger's back (server Postgres: a second connection)", () => {
    let db: pg.Client;
    let tenantId: string;
    const ledgerIds = ["ledger-1", "ledger-2", "ledger-3", "ledger-4", "ledger-5"];
    /** Events of the customers verified before "ledger" (chains are checked in customer id order), plus `more`. */
    const verifiedBeforeLedger = async (more: number) => {
      const { rows } = await summary({ group_by: "GROUP_BY_CUSTOMER" });
      return String(rows.filter((r) => r.key < "ledger").reduce((n, r) => n + Number(r.event_count), more));
    };
    const saved = async (eventId: string) =>
      (await db.query<{ row: object }>("select row_to_json(u) as row from usage_events u where tenant_id = $1 and event_id = $2", [tenantId, eventId])).rows[0]?.row;
    const restore = async (record: object | undefined) => {
      await db.query("insert into usage_events select * from json_populate_record(null::usage_events, $1::json)", [JSON.stringify(record)]);
    };

    beforeAll(async () => {
      db = new pg.Client({ connectionString: server.databaseUrl });
      await db.connect();
      const results = await ingest(ledgerIds.map((id, i) => ({ event_id: id, customer_id: "ledger", model: "gpt-4o", occurred_at: ts(now - 4 * hour + i), quantities: q1 })));
      expect(results.map((r) => r.status)).toEqual(Array(5).fill("INGEST_STATUS_ACCEPTED"));
      const found = await db.query<{ tenant_id: string }>("select tenant_id from usage_events where event_id = 'ledger-1'");
      expect(found.rows).toHaveLength(1);
      tenantId = found.rows[0]?.tenant_id ?? "";
      expect((await list({ customer_id: "ledger" })).events.map((e) => [e.event_id, e.chain_seq])).toEqual(ledgerIds.map((id, i) => [id, String(i + 1)]));
    });
    afterAll(async () => {
      await db.end();
    });

    it("the usage log refuses UPDATE and DELETE", async () => {
      await expect(db.query("update usage_events set charge = charge + 1 where tenant_id = $1 and event_id = 'ledger-3'", [tenantId])).rejects.toThrow();
      await expect(db.query("delete from usage_events where tenant_id = $1 and event_id = 'ledger-5'", [tenantId])).rejects.toThrow();
      expect((await verify()).intact).toBe(true);
    });

    it("names a record whose charge was changed", async () => {
      await db.query("set session_replication_role = replica");
      try {
        const changed = await db.query("update usage_events set charge = charge + 1 where tenant_id = $1 and event_id = 'ledger-3'", [tenantId]);
        expect(changed.rowCount).toBe(1);
        const v = await verify();
        expect(v).toEqual({ intact: false, verified_events: await verifiedBeforeLedger(2), first_broken_event_id: "ledger-3", problem: expect.stringContaining("customer ledger, record 3") });
        expect(v.problem).toMatch(/changed/);
        await db.query("update usage_events set charge = charge - 1 where tenant_id = $1 and event_id = 'ledger-3'", [tenantId]);
      } finally {
        await db.query("set session_replication_role = origin");
      }
      expect((await verify()).intact).toBe(true);
    });

    it("names a record whose quantities were changed", async () => {
      await db.query("set session_replication_role = replica");
      const original = await saved("ledger-2");
      try {
        await db.query(`update usage_events set quantities = jsonb_set(quantities, '{input_tokens}', '"12"') where tenant_id = $1 and event_id = 'ledger-2'`, [tenantId]);
        expect(await verify()).toMatchObject({ intact: false, first_broken_event_id: "ledger-2" });
        await db.query("delete from usage_events where tenant_id = $1 and event_id = 'ledger-2'", [tenantId]);
        await restore(original);
      } finally {
        await db.query("set session_replication_role = origin");
      }
      expect((await verify()).intact).toBe(true);
    });

    it("notices the last record of a chain removed, naming the last one still there", async () => {
      await db.query("set session_replication_role = replica");
      const last = await saved("ledger-5");
      try {
        expect((await db.query("delete from usage_events where tenant_id = $1 and event_id = 'ledger-5'", [tenantId])).rowCount).toBe(1);
        const v = await verify();
        expect(v).toEqual({ intact: false, verified_events: await verifiedBeforeLedger(4), first_broken_event_id: "ledger-4", problem: expect.stringMatching(/removed from its end/) });
        expect(v.problem).toContain("customer ledger");
        await restore(last);
      } finally {
        await db.query("set session_replication_role = origin");
      }
      expect((await verify()).intact).toBe(true);
    });

    it("notices a record removed from the middle of a chain, naming the record after the gap", async () => {
      await db.query("set session_replication_role = replica");
      const middle = await saved("ledger-3");
      try {
        expect((await db.query("delete from usage_events where tenant_id = $1 and event_id = 'ledger-3'", [tenantId])).rowCount).toBe(1);
        const v = await verify();
        expect(v).toEqual({ intact: false, verified_events: await verifiedBeforeLedger(2), first_broken_event_id: "ledger-4", problem: expect.stringMatching(/missing/) });
        expect(v.problem).toContain("customer ledger, record 4");
        await restore(middle);
      } finally {
        await db.query("set session_replication_role = origin");
      }
      expect(await verify()).toMatchObject({ intact: true, first_broken_event_id: "", problem: "" });
    });
  });
});
