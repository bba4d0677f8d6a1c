import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { join } from "node:path";
import { customerWithCredits, day, defineAuthzCatalog, msOf, reservationIdOf, seconds, ts, usd, type Money, type Timestamp } from "../support/authz-catalog.js";
import { backends } from "../support/databases.js";
import { grpcService } from "../support/grpc-client.js";
import { startTestServer, type TestServer } from "../support/server.js";

/*
 * AuthorizationService end to end over the gRPC port of a real in-process server, with a plain
 * @grpc/grpc-js client built from proto/ (snake_case fields, enums as strings, int64 as strings).
 * The catalog (test/support/authz-catalog.ts) is built through CatalogService; each test uses its
 * own customers, so tests do not depend on one another. Every expected amount is worked out by
 * hand in the comments next to it:
 *   gpt-4o          input 0.0000025, output 0.00001 per token
 *   gpt-4o-mini     input 0.00000015, output 0.0000006
 *   claude-sonnet-4 input 0.000003, output 0.000015
 *   `pro`/`prepaid`/`trial` charge cost * 1.25; the `route-*` plans charge cost + a flat fee
 *   (claude 0.005, gpt-4o 0.02, gpt-4o-mini 0.01).
 */

type Balance = {
  customer_id: string;
  available: Money;
  credits_remaining: Money;
  reserved: Money;
  overage_used: Money;
  overage_limit: Money;
  version: string;
};
type Authorized = {
  decision: string;
  reason: string;
  reservation_id: string;
  reserved: Money | null;
  available: Money | null;
  expires_at: Timestamp | null;
  model: string;
  estimated_cost: Money | null;
  message: string;
};
type Committed = { charge: Money; cost: Money; released: Money; overage: Money; balance: Balance };
type Extended = { decision: string; reason: string; reserved: Money; expires_at: Timestamp; message: string };
type Released = { released: Money; balance: Balance };
type WalletEvent = { version: string; type: string; payload: string } & Record<string, unknown>;
type Alert = { threshold: Money; available: Money; kind: string };
type RatedEvent = { event_id: string; customer_id: string; model: string; quantities: Record<string, string>; charge: Money; cost: Money; plan_key: string; reservation_id: string };

async function refusal(call: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await call;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error("the call succeeded");
}

/** INVALID_ARGUMENT whose message starts with the field path, with a google.rpc.BadRequest detail naming it too. */
function expectInvalidField(error: grpc.ServiceError, field: string): void {
  expect({ code: error.code, field: error.details.split(": ")[0] }).toEqual({ code: grpc.status.INVALID_ARGUMENT, field });
  expect(error.details.startsWith(`${field}: `)).toBe(true);
  const detail = error.metadata.get("grpc-status-details-bin")[0];
  expect(Buffer.isBuffer(detail) && detail.includes("type.googleapis.com/google.rpc.BadRequest") && detail.includes(Buffer.from(field))).toBe(true);
}

const denied = (reason: string, message: string, available: string, model = "gpt-4o"): Authorized => ({
  decision: "DECISION_DENY",
  reason: `DENY_REASON_${reason}`,
  reservation_id: "",
  reserved: usd("0"),
  available: usd(available),
  expires_at: null,
  model,
  estimated_cost: null,
  message,
});

describe.each(backends())("AuthorizationService over gRPC on %s Postgres", (backend) => {
  let server: TestServer;
  let catalog: ReturnType<typeof grpcService>;
  let wallet: ReturnType<typeof grpcService>;
  let auth: ReturnType<typeof grpcService>;
  let rating: ReturnType<typeof grpcService>;

  const authorize = async (request: object) => (await auth.call("Authorize", request)) as Authorized;
  const commit = async (request: object) => (await auth.call("Commit", request)) as unknown as Committed;
  const extend = async (request: object) => (await auth.call("Extend", request)) as unknown as Extended;
  const release = async (reservationId: string) => (await auth.call("Release", { reservation_id: reservationId })) as unknown as Released;
  const balance = async (id: string) => ((await wallet.call("GetBalance", { customer_id: id })) as { balance: Balance }).balance;
  const walletEvents = async (id: string) => ((await wallet.call("ListWalletEvents", { customer_id: id, after_version: "0", limit: 1000 })) as { events: WalletEvent[] }).events;
  const ratedEvents = async (id: string) => ((await rating.call("ListRatedEvents", { customer_id: id, page_size: 1000 })) as { events: RatedEvent[] }).events;
  const hold = async (customer: string, requestId: string, maxCharge: string, extra: object = {}) => {
    const a = await authorize({ request_id: requestId, customer_id: customer, model: "gpt-4o", max_charge: usd(maxCharge), ...extra });
    expect({ requestId, decision: a.decision, message: a.message }).toEqual({ requestId, decision: "DECISION_ALLOW", message: a.message });
    return a;
  };
  const money = (b: Balance) => ({ available: b.available.amount, credits: b.credits_remaining.amount, reserved: b.reserved.amount, overage: b.overage_used.amount });

  beforeAll(async () => {
    server = await startTestServer(backend, { env: { TOLLGATE_SCHEDULER_INTERVAL_MS: "100" } });
    catalog = grpcService(server.grpcAddress, "CatalogService", server.apiKey);
    wallet = grpcService(server.grpcAddress, "WalletService", server.apiKey);
    auth = grpcService(server.grpcAddress, "AuthorizationService", server.apiKey);
    rating = grpcService(server.grpcAddress, "RatingService", server.apiKey);
    await defineAuthzCatalog(catalog);
  }, 60_000);
  afterAll(async () => {
    for (const c of [catalog, wallet, auth, rating]) c?.close();
    await server?.stop();
  });

  describe("Authorize and Commit", () => {
    it("ALLOW holds the estimate's price and answers the hold, what remains, the expiry, the model and the estimated cost", async () => {
      await customerWithCredits(catalog, wallet, "ann", "pro", "10");
      const before = Date.now();
      const a = await authorize({ request_id: "ann-1", customer_id: "ann", model: "gpt-4o", estimated_quantities: { input_tokens: "1000", output_tokens: "500" }, ttl: seconds(60) });
      const after = Date.now();
      // cost 1000 * 0.0000025 + 500 * 0.00001 = 0.0075; charge 0.0075 * 1.25 = 0.009375;
      // available 10 credits + 0.5 overage allowance - 0.009375 = 10.490625.
      expect(a).toEqual({
        decision: "DECISION_ALLOW",
        reason: "DENY_REASON_UNSPECIFIED",
        reservation_id: reservationIdOf("ann", "ann-1"),
        reserved: usd("0.009375"),
        available: usd("10.490625"),
        expires_at: expect.anything(),
        model: "gpt-4o",
        estimated_cost: usd("0.0075"),
        message: "held 0.009375 USD for gpt-4o",
      });
      expect(a.reservation_id).toMatch(/^rsv\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      const expiresAt = msOf(a.expires_at as Timestamp);
      expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 60_000);
      expect(expiresAt).toBeLessThanOrEqual(after + 60_000);
      expect(money(await balance("ann"))).toEqual({ available: "10.490625", credits: "10", reserved: "0.009375", overage: "0" });
      const reserved = (await walletEvents("ann")).filter((e) => e.type === "FundsReserved");
      expect(reserved.map((e) => e["funds_reserved"])).toEqual([{ reservation_id: a.reservation_id, amount: usd("0.009375"), expires_at: a.expires_at, model: "gpt-4o" }]);
    });

    it("accepts a ttl from 1 second to 24 hours", async () => {
      await customerWithCredits(catalog, wallet, "tina", "prepaid", "1");
      for (const [id, ttl] of [["tina-min", 1], ["tina-max", 86_400]] as const) {
        const before = Date.now();
        const a = await hold("tina", id, "0.01", { ttl: seconds(ttl) });
        expect(msOf(a.expires_at as Timestamp)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + ttl * 1000);
        expect(msOf(a.expires_at as Timestamp)).toBeLessThanOrEqual(Date.now() + ttl * 1000);
      }
      // Unset: 5 minutes.
      const before = Date.now();
      const a = await hold("tina", "tina-default", "0.01");
      expect(msOf(a.expires_at as Timestamp)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 300_000);
      expect(msOf(a.expires_at as Timestamp)).toBeLessThanOrEqual(Date.now() + 300_000);
    });

    it("a retried Authorize (same request_id and content) returns the same reservation and holds nothing more; other content is ALREADY_EXISTS", async () => {
      await customerWithCredits(catalog, wallet, "rita", "pro", "10");
      const request = { request_id: "rita-1", customer_id: "rita", model: "gpt-4o", estimated_quantities: { input_tokens: "1000", output_tokens: "500" } };
      const first = await authorize(request);
      expect(first.decision).toBe("DECISION_ALLOW");
      const held = await balance("rita");
      expect(await authorize(request)).toEqual(first);
      expect(await authorize({ ...request, estimated_quantities: { output_tokens: "500", input_tokens: "1000" } })).toEqual(first);
      expect(await balance("rita")).toEqual(held);
      for (const changed of [
        { ...request, estimated_quantities: { input_tokens: "2000", output_tokens: "500" } },
        { ...request, model: "claude-sonnet-4" },
        { ...request, max_charge: usd("0.01") },
        { ...request, attributes: { tier: "gold" } },
      ]) {
        const error = await refusal(authorize(changed));
        expect({ code: error.code, details: error.details }).toEqual({ code: grpc.status.ALREADY_EXISTS, details: 'request_id "rita-1" was used for a different authorization' });
      }
      expect(await balance("rita")).toEqual(held);
      // A denial is an answer too: its retry gets the same denial, even once funds arrived.
      await customerWithCredits(catalog, wallet, "rhea", "prepaid", "0.01");
      const deny = { request_id: "rhea-1", customer_id: "rhea", model: "gpt-4o", max_charge: usd("0.02") };
      const no = await authorize(deny);
      expect(no).toEqual(denied("INSUFFICIENT_FUNDS", "insufficient funds: 0.02 needed, 0.01 available", "0.01"));
      await wallet.call("GrantCredits", { customer_id: "rhea", grant_id: "more", amount: usd("1"), source: "GRANT_SOURCE_PURCHASE" });
      expect(await authorize(deny)).toEqual(no);
      expect((await authorize({ ...deny, request_id: "rhea-2" })).decision).toBe("DECISION_ALLOW");
    });

    it("Commit rates the actual usage for the hold's model, debits it, releases the rest and records it with the reservation id; a retry answers the same and changes nothing; other content is ALREADY_EXISTS", async () => {
      await customerWithCredits(catalog, wallet, "cora", "pro", "10");
      const a = await authorize({ request_id: "cora-1", customer_id: "cora", model: "gpt-4o", estimated_quantities: { input_tokens: "1000", output_tokens: "500" } });
      expect(a.reserved).toEqual(usd("0.009375"));
      const request = { reservation_id: a.reservation_id, event_id: "cora-e1", quantities: { input_tokens: "800", output_tokens: "400" } };
      const c = await commit(request);
      // cost 800 * 0.0000025 + 400 * 0.00001 = 0.006; charge 0.0075; released 0.009375 - 0.0075 = 0.001875;
      // credits 10 - 0.0075 = 9.9925; available 9.9925 + 0.5 = 10.4925.
      expect(c).toEqual({
        charge: usd("0.0075"),
        cost: usd("0.006"),
        released: usd("0.001875"),
        overage: usd("0"),
        balance: expect.objectContaining({ customer_id: "cora", available: usd("10.4925"), credits_remaining: usd("9.9925"), reserved: usd("0"), overage_used: usd("0"), overage_limit: usd("0.5") }),
      });
      const settled = await balance("cora");
      expect(money(settled)).toEqual({ available: "10.4925", credits: "9.9925", reserved: "0", overage: "0" });
      expect(c.balance.version).toBe(settled.version);
      expect(await ratedEvents("cora")).toEqual([
        expect.objectContaining({
          event_id: "cora-e1",
          customer_id: "cora",
          model: "gpt-4o",
          quantities: { input_tokens: "800", output_tokens: "400" },
          charge: usd("0.0075"),
          cost: usd("0.006"),
          plan_key: "pro",
          reservation_id: a.reservation_id,
        }),
      ]);
      const settlement = (await walletEvents("cora")).filter((e) => e.type === "ReservationSettled").map((e) => e["reservation_settled"]);
      expect(settlement).toEqual([{ reservation_id: a.reservation_id, charged: usd("0.0075"), released: usd("0.001875"), overage: usd("0"), event_id: "cora-e1" }]);

      // The retry: the same answer, nothing written.
      expect(await commit(request)).toEqual(c);
      expect(await commit({ ...request, quantities: { output_tokens: "400", input_tokens: "800" } })).toEqual(c);
      expect(await balance("cora")).toEqual(settled);
      expect((await ratedEvents("cora")).map((e) => e.event_id)).toEqual(["cora-e1"]);

      // The same event_id with other usage, or for another hold, is ALREADY_EXISTS and changes nothing.
      const other = await hold("cora", "cora-2", "0.05");
      for (const conflicting of [
        { ...request, quantities: { input_tokens: "900", output_tokens: "400" } },
        { ...request, attributes: { region: "eu" } },
        { ...request, reservation_id: other.reservation_id },
      ]) {
        const error = await refusal(commit(conflicting));
        expect({ code: error.code, details: error.details }).toEqual({ code: grpc.status.ALREADY_EXISTS, details: 'event_id "cora-e1" was already recorded with different content' });
      }
      expect(money(await balance("cora"))).toEqual({ available: "10.4425", credits: "9.9925", reserved: "0.05", overage: "0" });
      expect((await ratedEvents("cora")).map((e) => e.event_id)).toEqual(["cora-e1"]);
      expect((await release(other.reservation_id)).released).toEqual(usd("0.05"));
      // A settled hold cannot grow.
      expect((await refusal(extend({ reservation_id: a.reservation_id, additional_charge: usd("0.01") }))).code).toBe(grpc.status.FAILED_PRECONDITION);
    });

    it("a Commit above the hold draws the excess from credits, then from the overage allowance, and raises OVERAGE_STARTED", async () => {
      await customerWithCredits(catalog, wallet, "olga", "pro", "0.02");
      const a = await authorize({ request_id: "olga-1", customer_id: "olga", model: "gpt-4o", max_charge: usd("0.01") });
      // A hold sized by max_charge alone has no estimated cost. available 0.02 + 0.5 - 0.01 = 0.51.
      expect(a).toEqual({
        decision: "DECISION_ALLOW",
        reason: "DENY_REASON_UNSPECIFIED",
        reservation_id: reservationIdOf("olga", "olga-1"),
        reserved: usd("0.01"),
        available: usd("0.51"),
        expires_at: expect.anything(),
        model: "gpt-4o",
        estimated_cost: null,
        message: "held 0.01 USD for gpt-4o",
      });
      const c = await commit({ reservation_id: a.reservation_id, event_id: "olga-e1", quantities: { input_tokens: "4000", output_tokens: "2000" } });
      // cost 4000 * 0.0000025 + 2000 * 0.00001 = 0.03; charge 0.0375: the 0.02 of credits, then
      // 0.0175 of overage; nothing of the hold is left to release; available 0.5 - 0.0175 = 0.4825.
      expect({ charge: c.charge, cost: c.cost, released: c.released, overage: c.overage }).toEqual({ charge: usd("0.0375"), cost: usd("0.03"), released: usd("0"), overage: usd("0.0175") });
      expect(money(c.balance)).toEqual({ available: "0.4825", credits: "0", reserved: "0", overage: "0.0175" });
      expect(money(await balance("olga"))).toEqual({ available: "0.4825", credits: "0", reserved: "0", overage: "0.0175" });
      const events = await walletEvents("olga");
      expect(events.map((e) => e.type)).toEqual(["WalletOpened", "CreditsGranted", "FundsReserved", "ReservationSettled", "OverageAccrued", "BalanceAlertRaised"]);
      expect(events[4]?.["overage_accrued"]).toEqual({ amount: usd("0.0175"), beyond_limit: usd("0") });
      expect((events[5]?.["balance_alert_raised"] as { alert: Alert }).alert).toMatchObject({ kind: "OVERAGE_STARTED", threshold: usd("0"), available: usd("0.4825") });
      expect((await ratedEvents("olga")).map((e) => [e.event_id, e.charge.amount, e.reservation_id])).toEqual([["olga-e1", "0.0375", a.reservation_id]]);
    });

    it("usage beyond the overage limit is still recorded, counted as overage past the limit, and raises OVERAGE_STARTED (ListWalletEvents and WatchBalance)", async () => {
      await customerWithCredits(catalog, wallet, "pete", "pro", "0.1");
      const a = await hold("pete", "pete-1", "0.1");
      expect(a.available).toEqual(usd("0.5"));

      const definition = loadSync("tollgate/v1/wallet.proto", { includeDirs: [join(process.cwd(), "proto")], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
      const pkg = grpc.loadPackageDefinition(definition) as unknown as { tollgate: { v1: { WalletService: grpc.ServiceClientConstructor } } };
      const client = new pkg.tollgate.v1.WalletService(server.grpcAddress, grpc.credentials.createInsecure());
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${server.apiKey}`);
      const stream = (client as unknown as { WatchBalance: (r: object, m: grpc.Metadata) => grpc.ClientReadableStream<{ balance: Balance; alerts: Alert[] }> }).WatchBalance({ customer_id: "pete" }, metadata);
      const updates: { balance: Balance; alerts: Alert[] }[] = [];
      let firstSeen: () => void = () => {};
      const subscribed = new Promise<void>((resolve) => (firstSeen = resolve));
      const alerted = new Promise<Alert[]>((resolve, reject) => {
        stream.on("data", (m: { balance: Balance; alerts: Alert[] }) => {
          updates.push(m);
          firstSeen();
          if (m.alerts.length > 0) resolve(m.alerts);
        });
        stream.on("error", (e: grpc.ServiceError) => (e.code === grpc.status.CANCELLED ? undefined : reject(e)));
      });
      try {
        await subscribed;
        const c = await commit({ reservation_id: a.reservation_id, event_id: "pete-e1", quantities: { input_tokens: "100000", output_tokens: "40000" } });
        // cost 100000 * 0.0000025 + 40000 * 0.00001 = 0.65; charge 0.8125: 0.1 of credits, 0.7125
        // of overage, of which 0.2125 past the 0.5 limit; available 0.5 - 0.7125 = -0.2125.
        expect({ charge: c.charge, cost: c.cost, released: c.released, overage: c.overage }).toEqual({ charge: usd("0.8125"), cost: usd("0.65"), released: usd("0"), overage: usd("0.7125") });
        expect(money(await balance("pete"))).toEqual({ available: "-0.2125", credits: "0", reserved: "0", overage: "0.7125" });
        const alerts = await alerted;
        expect(alerts.map((x) => [x.kind, x.threshold.amount, x.available.amount])).toEqual([
          ["OVERAGE_STARTED", "0", "-0.2125"],
          ["OVERAGE_STARTED", "0.5", "-0.2125"],
        ]);
        expect(updates.at(-1)?.balance.available).toEqual(usd("-0.2125"));
      } finally {
        stream.cancel();
        client.close();
      }
      const events = await walletEvents("pete");
      expect(events.find((e) => e.type === "OverageAccrued")?.["overage_accrued"]).toEqual({ amount: usd("0.7125"), beyond_limit: usd("0.2125") });
      expect(events.filter((e) => e.type === "BalanceAlertRaised").map((e) => (e["balance_alert_raised"] as { alert: Alert }).alert.kind)).toEqual(["OVERAGE_STARTED", "OVERAGE_STARTED"]);
      expect((await ratedEvents("pete")).map((e) => [e.event_id, e.charge.amount, e.cost.amount])).toEqual([["pete-e1", "0.8125", "0.65"]]);
      const summary = (await rating.call("GetUsageSummary", { customer_id: "pete", group_by: "GROUP_BY_MODEL" })) as { total_charge: Money; event_count: string };
      expect([summary.total_charge, summary.event_count]).toEqual([usd("0.8125"), "1"]);
      // Nothing is available any more.
      expect(await authorize({ request_id: "pete-2", customer_id: "pete", model: "gpt-4o", max_charge: usd("0.01") })).toEqual(
        denied("INSUFFICIENT_FUNDS", "insufficient funds: 0.01 needed, -0.2125 available", "-0.2125"),
      );
    });
  });

  describe("Extend and Release", () => {
    it("Extend grows a live hold and renews its lifetime; an addition that does not fit is DENY INSUFFICIENT_FUNDS and leaves the hold as it was", async () => {
      await customerWithCredits(catalog, wallet, "eve", "prepaid", "0.1");
      const a = await hold("eve", "eve-1", "0.03", { ttl: seconds(60) });
      let before = Date.now();
      const grown = await extend({ reservation_id: a.reservation_id, additional_charge: usd("0.02"), ttl: seconds(120) });
      expect(grown).toEqual({ decision: "DECISION_ALLOW", reason: "DENY_REASON_UNSPECIFIED", reserved: usd("0.05"), expires_at: expect.anything(), message: expect.stringMatching(/^holding 0\.05 USD until /) });
      expect(msOf(grown.expires_at)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 120_000);
      expect(msOf(grown.expires_at)).toBeLessThanOrEqual(Date.now() + 120_000);
      // 1000 input + 500 output tokens on gpt-4o: 0.009375 more; the default lifetime is 5 minutes.
      before = Date.now();
      const estimated = await extend({ reservation_id: a.reservation_id, estimated_quantities: { input_tokens: "1000", output_tokens: "500" } });
      expect([estimated.decision, estimated.reserved]).toEqual(["DECISION_ALLOW", usd("0.059375")]);
      expect(msOf(estimated.expires_at)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 300_000);
      expect(msOf(estimated.expires_at)).toBeLessThanOrEqual(Date.now() + 300_000);
      expect(money(await balance("eve"))).toEqual({ available: "0.040625", credits: "0.1", reserved: "0.059375", overage: "0" });

      const tooMuch = await extend({ reservation_id: a.reservation_id, additional_charge: usd("0.05") });
      expect(tooMuch).toEqual({
        decision: "DECISION_DENY",
        reason: "DENY_REASON_INSUFFICIENT_FUNDS",
        reserved: usd("0.059375"),
        expires_at: estimated.expires_at,
        message: "insufficient funds: 0.05 more needed, 0.040625 available",
      });
      const unchanged = await balance("eve");
      expect(money(unchanged)).toEqual({ available: "0.040625", credits: "0.1", reserved: "0.059375", overage: "0" });
      // A new lifetime alone: the hold keeps its amount and lives 10 minutes from now.
      before = Date.now();
      const prolonged = await extend({ reservation_id: a.reservation_id, ttl: seconds(600) });
      expect([prolonged.decision, prolonged.reserved]).toEqual(["DECISION_ALLOW", usd("0.059375")]);
      expect(msOf(prolonged.expires_at)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 600_000);
      expect(msOf(prolonged.expires_at)).toBeLessThanOrEqual(Date.now() + 600_000);
      expect(money(await balance("eve"))).toEqual({ available: "0.040625", credits: "0.1", reserved: "0.059375", overage: "0" });
      const extensions = (await walletEvents("eve")).filter((e) => e.type === "ReservationExtended").map((e) => (e["reservation_extended"] as { additional: Money }).additional.amount);
      expect(extensions).toEqual(["0.02", "0.009375", "0"]); // the refused addition wrote nothing
    });

    it("Extend with a request_id adds once: a retry answers the same hold, another request under that id is ALREADY_EXISTS", async () => {
      await customerWithCredits(catalog, wallet, "ivy", "prepaid", "0.1");
      const a = await hold("ivy", "ivy-1", "0.03");
      const request = { reservation_id: a.reservation_id, additional_charge: usd("0.02"), ttl: seconds(120), request_id: "grow-1" };
      const first = await extend(request);
      expect([first.decision, first.reserved]).toEqual(["DECISION_ALLOW", usd("0.05")]);
      const retry = await extend(request);
      expect(retry).toEqual(first);
      const conflict = await auth.call("Extend", { ...request, additional_charge: usd("0.03") }).catch((e: grpc.ServiceError) => e);
      expect((conflict as grpc.ServiceError).code).toBe(grpc.status.ALREADY_EXISTS);
      expect((conflict as grpc.ServiceError).details).toContain('request_id "grow-1" already extended this hold with a different request');
      const bad = await auth.call("Extend", { ...request, request_id: "x".repeat(300) }).catch((e: grpc.ServiceError) => e);
      expect((bad as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
      expect((bad as grpc.ServiceError).details.startsWith("request_id")).toBe(true);
      expect(money(await balance("ivy"))).toEqual({ available: "0.05", credits: "0.1", reserved: "0.05", overage: "0" });
      const extensions = (await walletEvents("ivy")).filter((e) => e.type === "ReservationExtended").map((e) => e["reservation_extended"] as { additional: Money; request_id: string });
      expect(extensions.map((x) => [x.additional.amount, x.request_id])).toEqual([["0.02", "grow-1"]]);
      await release(a.reservation_id);
    });

    it("Extend is DENY SPEND_CAP_REACHED when the grown hold would pass a spend cap", async () => {
      await customerWithCredits(catalog, wallet, "xena", "prepaid", "1", { limits: { daily_spend_cap: usd("0.1") } });
      const a = await hold("xena", "xena-1", "0.06");
      const refused = await extend({ reservation_id: a.reservation_id, additional_charge: usd("0.05") });
      expect({ decision: refused.decision, reason: refused.reason, reserved: refused.reserved, message: refused.message }).toEqual({
        decision: "DECISION_DENY",
        reason: "DENY_REASON_SPEND_CAP_REACHED",
        reserved: usd("0.06"),
        message: "a spend cap would be exceeded",
      });
      // 0.06 + 0.04 = 0.1: exactly the cap is allowed.
      expect(await extend({ reservation_id: a.reservation_id, additional_charge: usd("0.04") })).toMatchObject({ decision: "DECISION_ALLOW", reserved: usd("0.1") });
      expect(money(await balance("xena"))).toEqual({ available: "0.9", credits: "1", reserved: "0.1", overage: "0" });
      expect((await release(a.reservation_id)).released).toEqual(usd("0.1"));
    });

    it("Extend is DENY TRIAL_LIMIT_REACHED when the grown hold would pass the trial credit shared by a fingerprint", async () => {
      const inTrial = { fingerprint: "device-77", trial_ends_at: ts(Date.now() + 10 * day) };
      await customerWithCredits(catalog, wallet, "trix", "trial", "1", inTrial);
      await customerWithCredits(catalog, wallet, "triy", "trial", "1", inTrial);
      const other = await hold("triy", "triy-1", "0.02");
      const small = await hold("trix", "trix-1", "0.01");
      // 0.02 held by triy + 0.01 held by trix + 0.03 more = 0.06, past the trial credit of 0.05.
      const refused = await extend({ reservation_id: small.reservation_id, additional_charge: usd("0.03") });
      expect({ decision: refused.decision, reason: refused.reason, reserved: refused.reserved, message: refused.message }).toEqual({
        decision: "DECISION_DENY",
        reason: "DENY_REASON_TRIAL_LIMIT_REACHED",
        reserved: usd("0.01"),
        message: "the trial credit of 0.05 is used up: 0.03 spent or held, 0.03 more needed",
      });
      // 0.02 more makes exactly 0.05: allowed; a lifetime-only Extend adds nothing and always fits.
      expect(await extend({ reservation_id: small.reservation_id, additional_charge: usd("0.02") })).toMatchObject({ decision: "DECISION_ALLOW", reserved: usd("0.03") });
      expect(await extend({ reservation_id: small.reservation_id, ttl: seconds(120) })).toMatchObject({ decision: "DECISION_ALLOW", reserved: usd("0.03") });
      expect(money(await balance("trix"))).toEqual({ available: "0.97", credits: "1", reserved: "0.03", overage: "0" });
      await release(small.reservation_id);
      await release(other.reservation_id);
    });

    it("Release returns the whole hold; a retried Release answers the same and changes nothing; a released hold cannot be extended", async () => {
      await customerWithCredits(catalog, wallet, "rob", "prepaid", "0.1");
      const a = await hold("rob", "rob-1", "0.03");
      await extend({ reservation_id: a.reservation_id, additional_charge: usd("0.02") });
      const r = await release(a.reservation_id);
      expect(r).toEqual({ released: usd("0.05"), balance: expect.objectContaining({ customer_id: "rob", available: usd("0.1"), credits_remaining: usd("0.1"), reserved: usd("0") }) });
      const after = await balance("rob");
      expect(await release(a.reservation_id)).toEqual(r);
      expect(await balance("rob")).toEqual(after);
      expect((await walletEvents("rob")).filter((e) => e.type === "ReservationReleased").map((e) => e["reservation_released"])).toEqual([
        { reservation_id: a.reservation_id, released: usd("0.05"), expired: false },
      ]);
      const error = await refusal(extend({ reservation_id: a.reservation_id, additional_charge: usd("0.01") }));
      expect({ code: error.code, details: error.details }).toEqual({ code: grpc.status.FAILED_PRECONDITION, details: "the reservation is already settled, released or lapsed" });
    });

    it("a hold left alone lapses at its expiry: the scheduler releases it, and a Commit after that still records the usage", async () => {
      await customerWithCredits(catalog, wallet, "lena", "prepaid", "1");
      const a = await hold("lena", "lena-1", "0.05", { ttl: seconds(1) });
      const expiresAt = msOf(a.expires_at as Timestamp);
      expect(money(await balance("lena"))).toEqual({ available: "0.95", credits: "1", reserved: "0.05", overage: "0" });
      const deadline = Date.now() + 10_000;
      let b = await balance("lena");
      while (b.reserved.amount !== "0" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        b = await balance("lena");
      }
      // Only the scheduler touched the wallet (nothing else was called for it).
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
      expect(money(b)).toEqual({ available: "1", credits: "1", reserved: "0", overage: "0" });
      expect((await walletEvents("lena")).filter((e) => e.type === "ReservationReleased").map((e) => e["reservation_released"])).toEqual([
        { reservation_id: a.reservation_id, released: usd("0.05"), expired: true },
      ]);
      expect((await refusal(extend({ reservation_id: a.reservation_id, additional_charge: usd("0.01") }))).code).toBe(grpc.status.FAILED_PRECONDITION);

      const c = await commit({ reservation_id: a.reservation_id, event_id: "lena-e1", quantities: { input_tokens: "1000", output_tokens: "500" } });
      // charge 0.009375 (cost 0.0075) from credits; the lapsed hold has nothing left to release.
      expect({ charge: c.charge, cost: c.cost, released: c.released, overage: c.overage }).toEqual({ charge: usd("0.009375"), cost: usd("0.0075"), released: usd("0"), overage: usd("0") });
      expect(money(await balance("lena"))).toEqual({ available: "0.990625", credits: "0.990625", reserved: "0", overage: "0" });
      expect((await ratedEvents("lena")).map((e) => [e.event_id, e.charge.amount, e.reservation_id])).toEqual([["lena-e1", "0.009375", a.reservation_id]]);
    }, 20_000);
  });

  describe("denials: each reason with its message, in policy order", () => {
    it("CUSTOMER_SUSPENDED first of all, until the customer is active again", async () => {
      await customerWithCredits(catalog, wallet, "sam", "narrow", "0.01");
      await catalog.call("SetCustomerStatus", { customer_id: "sam", status: "CUSTOMER_STATUS_SUSPENDED" });
      expect(await authorize({ request_id: "sam-1", customer_id: "sam", model: "gpt-4o", max_charge: usd("0.01") })).toEqual(denied("CUSTOMER_SUSPENDED", 'customer "sam" is suspended', "0.01"));
      // Suspension is checked before the plan (claude is not in `narrow`) and the funds.
      expect(await authorize({ request_id: "sam-2", customer_id: "sam", model: "claude-sonnet-4", max_charge: usd("5") })).toEqual(
        denied("CUSTOMER_SUSPENDED", 'customer "sam" is suspended', "0.01", "claude-sonnet-4"),
      );
      expect(money(await balance("sam"))).toEqual({ available: "0.01", credits: "0.01", reserved: "0", overage: "0" });
      await catalog.call("SetCustomerStatus", { customer_id: "sam", status: "CUSTOMER_STATUS_ACTIVE" });
      expect((await authorize({ request_id: "sam-3", customer_id: "sam", model: "gpt-4o", max_charge: usd("0.01") })).decision).toBe("DECISION_ALLOW");
    });

    it("MODEL_NOT_IN_PLAN when the plan prices neither the model nor any candidate", async () => {
      await customerWithCredits(catalog, wallet, "nina", "narrow", "1");
      expect(await authorize({ request_id: "nina-1", customer_id: "nina", model: "claude-sonnet-4", max_charge: usd("0.01") })).toEqual(
        denied("MODEL_NOT_IN_PLAN", 'plan "narrow" version 1 does not price model "claude-sonnet-4"', "1", "claude-sonnet-4"),
      );
      expect(await authorize({ request_id: "nina-2", customer_id: "nina", model: "claude-sonnet-4", candidate_models: ["gpt-4o-mini"], estimated_quantities: { input_tokens: "10" } })).toEqual(
        denied("MODEL_NOT_IN_PLAN", 'plan "narrow" version 1 does not price model "claude-sonnet-4"; plan "narrow" version 1 does not price model "gpt-4o-mini"', "1", "claude-sonnet-4"),
      );
      expect((await authorize({ request_id: "nina-3", customer_id: "nina", model: "gpt-4o", max_charge: usd("0.01") })).decision).toBe("DECISION_ALLOW");
      expect(money(await balance("nina"))).toEqual({ available: "0.99", credits: "1", reserved: "0.01", overage: "0" });
    });

    it("TRIAL_LIMIT_REACHED: customers sharing a fingerprint share the trial credit; a customer out of trial is not limited", async () => {
      const inTrial = { fingerprint: "device-42", trial_ends_at: ts(Date.now() + 10 * day) };
      await customerWithCredits(catalog, wallet, "tria", "trial", "1", inTrial);
      await customerWithCredits(catalog, wallet, "trib", "trial", "1", inTrial);
      await customerWithCredits(catalog, wallet, "tric", "trial", "1", { ...inTrial, limits: { daily_spend_cap: usd("0.001") } });
      await customerWithCredits(catalog, wallet, "trio", "trial", "1", { fingerprint: "device-42", trial_ends_at: ts(Date.now() - 10 * day) });

      const a = await hold("tria", "tria-1", "0.04");
      const used = await commit({ reservation_id: a.reservation_id, event_id: "tria-e1", quantities: { input_tokens: "4000", output_tokens: "2000" } });
      expect(used.charge).toEqual(usd("0.0375")); // cost 0.03 * 1.25
      // 0.0375 charged to tria + 0.02 would pass the trial credit of 0.05.
      expect(await authorize({ request_id: "trib-1", customer_id: "trib", model: "gpt-4o", max_charge: usd("0.02") })).toEqual(
        denied("TRIAL_LIMIT_REACHED", "the trial credit of 0.05 is used up: 0.0375 spent or held, 0.02 more needed", "1"),
      );
      // The trial limit is checked before the spend cap (tric's daily cap of 0.001 would deny too)…
      expect(await authorize({ request_id: "tric-1", customer_id: "tric", model: "gpt-4o", max_charge: usd("0.02") })).toEqual(
        denied("TRIAL_LIMIT_REACHED", "the trial credit of 0.05 is used up: 0.0375 spent or held, 0.02 more needed", "1"),
      );
      // …and after the plan check (`trial` does not price gemini-pro).
      expect(await authorize({ request_id: "trib-2", customer_id: "trib", model: "gemini-pro", max_charge: usd("0.02") })).toEqual(
        denied("MODEL_NOT_IN_PLAN", 'plan "trial" version 1 does not price model "gemini-pro"', "1", "gemini-pro"),
      );
      // 0.0375 + 0.0125 = 0.05 exactly: allowed. Then holds count too: nothing more fits.
      const b = await hold("trib", "trib-3", "0.0125");
      expect(await authorize({ request_id: "tria-2", customer_id: "tria", model: "gpt-4o", max_charge: usd("0.000001") })).toEqual(
        denied("TRIAL_LIMIT_REACHED", "the trial credit of 0.05 is used up: 0.05 spent or held, 0.000001 more needed", "0.9625"),
      );
      // A customer whose trial ended is not limited by it.
      const old = await hold("trio", "trio-1", "0.5");
      expect(old.reserved).toEqual(usd("0.5"));
      // Releasing the holds (trio's counts for the fingerprint too) frees the trial credit again.
      await release(old.reservation_id);
      await release(b.reservation_id);
      expect((await authorize({ request_id: "tria-3", customer_id: "tria", model: "gpt-4o", max_charge: usd("0.0125") })).decision).toBe("DECISION_ALLOW");
    });

    it("SPEND_CAP_REACHED: what was charged today or this month plus every open hold may not pass the cap", async () => {
      await customerWithCredits(catalog, wallet, "dana", "prepaid", "1", { limits: { daily_spend_cap: usd("0.1") } });
      const a = await hold("dana", "dana-1", "0.06");
      expect(await authorize({ request_id: "dana-2", customer_id: "dana", model: "gpt-4o", max_charge: usd("0.05") })).toEqual(
        denied("SPEND_CAP_REACHED", "a spend cap would be exceeded by 0.05 more (caps count what is charged and what is held)", "0.94"),
      );
      await commit({ reservation_id: a.reservation_id, event_id: "dana-e1", quantities: { input_tokens: "4000", output_tokens: "2000" } }); // charge 0.0375
      // 0.0375 charged today + 0.0625 = 0.1: exactly the cap.
      const b = await hold("dana", "dana-3", "0.0625");
      expect(await authorize({ request_id: "dana-4", customer_id: "dana", model: "gpt-4o", max_charge: usd("0.000001") })).toEqual(
        denied("SPEND_CAP_REACHED", "a spend cap would be exceeded by 0.000001 more (caps count what is charged and what is held)", "0.9"),
      );
      await release(b.reservation_id);

      await customerWithCredits(catalog, wallet, "mona", "prepaid", "1", { limits: { monthly_spend_cap: usd("0.05") } });
      const m = await hold("mona", "mona-1", "0.05");
      expect(await authorize({ request_id: "mona-2", customer_id: "mona", model: "gpt-4o", max_charge: usd("0.01") })).toEqual(
        denied("SPEND_CAP_REACHED", "a spend cap would be exceeded by 0.01 more (caps count what is charged and what is held)", "0.95"),
      );
      await commit({ reservation_id: m.reservation_id, event_id: "mona-e1", quantities: { input_tokens: "4000", output_tokens: "2000" } }); // 0.0375 this month
      expect((await authorize({ request_id: "mona-3", customer_id: "mona", model: "gpt-4o", max_charge: usd("0.0125") })).decision).toBe("DECISION_ALLOW");
      expect((await authorize({ request_id: "mona-4", customer_id: "mona", model: "gpt-4o", max_charge: usd("0.000001") })).reason).toBe("DENY_REASON_SPEND_CAP_REACHED");
    });

    it("CONCURRENCY_LIMIT_REACHED while as many holds are open as allowed", async () => {
      await customerWithCredits(catalog, wallet, "cody", "prepaid", "1", { limits: { max_concurrent_reservations: 2 } });
      const first = await hold("cody", "cody-1", "0.01");
      await hold("cody", "cody-2", "0.01");
      expect(await authorize({ request_id: "cody-3", customer_id: "cody", model: "gpt-4o", max_charge: usd("0.01") })).toEqual(
        denied("CONCURRENCY_LIMIT_REACHED", "2 holds are open, the limit is 2", "0.98"),
      );
      await commit({ reservation_id: first.reservation_id, event_id: "cody-e1", quantities: { input_tokens: "100" } });
      expect((await authorize({ request_id: "cody-4", customer_id: "cody", model: "gpt-4o", max_charge: usd("0.01") })).decision).toBe("DECISION_ALLOW");
    });

    it("RATE_LIMITED past max_authorizations_per_second, and allowed again a second later", async () => {
      await customerWithCredits(catalog, wallet, "remy", "prepaid", "1", { limits: { max_authorizations_per_second: 3 } });
      const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => authorize({ request_id: `remy-${i}`, customer_id: "remy", model: "gpt-4o", max_charge: usd("0.01") })));
      expect(burst.filter((a) => a.decision === "DECISION_ALLOW")).toHaveLength(3);
      const limited = burst.filter((a) => a.decision === "DECISION_DENY");
      expect(limited).toEqual([0, 1, 2].map(() => denied("RATE_LIMITED", "more than 3 authorizations per second", "0.97")));
      await new Promise((r) => setTimeout(r, 1100));
      expect((await authorize({ request_id: "remy-later", customer_id: "remy", model: "gpt-4o", max_charge: usd("0.01") })).decision).toBe("DECISION_ALLOW");
    });

    it("INSUFFICIENT_FUNDS when credits plus the overage allowance, less what is held, cannot fund the hold", async () => {
      await customerWithCredits(catalog, wallet, "ivan", "prepaid", "0.01");
      expect(await authorize({ request_id: "ivan-1", customer_id: "ivan", model: "gpt-4o", max_charge: usd("0.02") })).toEqual(denied("INSUFFICIENT_FUNDS", "insufficient funds: 0.02 needed, 0.01 available", "0.01"));
      const a = await authorize({ request_id: "ivan-2", customer_id: "ivan", model: "gpt-4o", estimated_quantities: { input_tokens: "1000", output_tokens: "500" } });
      expect([a.decision, a.reserved, a.available]).toEqual(["DECISION_ALLOW", usd("0.009375"), usd("0.000625")]);
      expect(await authorize({ request_id: "ivan-3", customer_id: "ivan", model: "gpt-4o", max_charge: usd("0.000626") })).toEqual(
        denied("INSUFFICIENT_FUNDS", "insufficient funds: 0.000626 needed, 0.000625 available", "0.000625"),
      );
      expect((await authorize({ request_id: "ivan-4", customer_id: "ivan", model: "gpt-4o", max_charge: usd("0.000625") })).available).toEqual(usd("0"));
      // The overage allowance funds holds: `pro` allows 0.5 past zero credits.
      await customerWithCredits(catalog, wallet, "owen", "pro", undefined);
      expect((await hold("owen", "owen-1", "0.5")).available).toEqual(usd("0"));
      expect(await authorize({ request_id: "owen-2", customer_id: "owen", model: "gpt-4o", max_charge: usd("0.000001") })).toEqual(
        denied("INSUFFICIENT_FUNDS", "insufficient funds: 0.000001 needed, 0 available", "0"),
      );
    });

    it("checks spend cap, then open holds, then rate, then funds", async () => {
      await customerWithCredits(catalog, wallet, "ordo", "prepaid", "0.01", { limits: { daily_spend_cap: usd("0.05"), max_concurrent_reservations: 1, max_authorizations_per_second: 1 } });
      const ask = (id: string, amount: string) => authorize({ request_id: id, customer_id: "ordo", model: "gpt-4o", max_charge: usd(amount) });
      const started = Date.now();
      const a = await hold("ordo", "ordo-1", "0.01"); // takes the second's one authorization, the one slot and every credit
      expect((await ask("ordo-2", "0.05")).reason).toBe("DENY_REASON_SPEND_CAP_REACHED"); // 0.01 held + 0.05 > 0.05
      expect((await ask("ordo-3", "0.01")).reason).toBe("DENY_REASON_CONCURRENCY_LIMIT_REACHED");
      await release(a.reservation_id);
      const limited = await ask("ordo-4", "0.02");
      // Within the second of ordo-1 the bucket is empty; a slower run may see it refilled (then funds deny).
      const elapsed = Date.now() - started;
      expect(elapsed < 1000 ? ["DENY_REASON_RATE_LIMITED"] : ["DENY_REASON_RATE_LIMITED", "DENY_REASON_INSUFFICIENT_FUNDS"]).toContain(limited.reason);
      await new Promise((r) => setTimeout(r, 1100));
      expect(await ask("ordo-5", "0.02")).toEqual(denied("INSUFFICIENT_FUNDS", "insufficient funds: 0.02 needed, 0.01 available", "0.01"));
    });
  });

  describe("routing among candidate models", () => {
    // Estimate 1000 input + 1000 output tokens, flat-fee plans:
    //   claude-sonnet-4  cost 0.003 + 0.015 = 0.018       charge 0.023    margin 0.005
    //   gpt-4o           cost 0.0025 + 0.01 = 0.0125      charge 0.0325   margin 0.02
    //   gpt-4o-mini      cost 0.00015 + 0.0006 = 0.00075  charge 0.01075  margin 0.01
    //   gemini-pro       not priced by the route-* plans (it would be the cheapest)
    const estimate = { input_tokens: "1000", output_tokens: "1000" };
    const route = (customer: string, requestId: string, extra: object) => authorize({ request_id: requestId, customer_id: customer, estimated_quantities: estimate, ...extra });
    const choice = (a: Authorized) => ({ decision: a.decision, model: a.model, reserved: a.reserved?.amount, estimated_cost: a.estimated_cost?.amount, message: a.message });
    const candidates = { model: "claude-sonnet-4", candidate_models: ["gpt-4o", "gemini-pro", "gpt-4o-mini"] };

    beforeAll(async () => {
      for (const [id, plan, credits] of [
        ["rt-low", "route-lowest", "1"],
        ["rt-margin", "route-margin", "1"],
        ["rt-first", "route-first", "1"],
        ["rt-margin-poor", "route-margin", "0.03"],
        ["rt-first-poor", "route-first", "0.02"],
        ["rt-broke", "route-lowest", "0.005"],
        ["rt-default", "pro", "1"],
      ] as const) {
        await customerWithCredits(catalog, wallet, id, plan, credits);
      }
    });

    it("ROUTING_POLICY_LOWEST_COST picks the least vendor cost among the candidates the plan prices; Commit rates the chosen model", async () => {
      const a = await route("rt-low", "rt-low-1", candidates);
      expect(choice(a)).toEqual({ decision: "DECISION_ALLOW", model: "gpt-4o-mini", reserved: "0.01075", estimated_cost: "0.00075", message: "held 0.01075 USD for gpt-4o-mini" });
      expect(a.available).toEqual(usd("0.98925"));
      const c = await commit({ reservation_id: a.reservation_id, event_id: "rt-low-e1", quantities: { input_tokens: "2000", output_tokens: "1000" } });
      // On gpt-4o-mini: cost 0.0003 + 0.0006 = 0.0009, charge 0.0109 (a little above the hold, from credits).
      expect({ charge: c.charge, cost: c.cost, released: c.released, overage: c.overage }).toEqual({ charge: usd("0.0109"), cost: usd("0.0009"), released: usd("0"), overage: usd("0") });
      expect(money(await balance("rt-low"))).toEqual({ available: "0.9891", credits: "0.9891", reserved: "0", overage: "0" });
      expect((await ratedEvents("rt-low")).map((e) => [e.model, e.charge.amount])).toEqual([["gpt-4o-mini", "0.0109"]]);
    });

    it("an unset routing policy means lowest cost", async () => {
      // `pro` prices gemini-pro: 1000 * 0.0000000001 = 0.0000001 cost, 0.000000125 charge.
      expect(choice(await route("rt-default", "rt-default-1", candidates))).toEqual({
        decision: "DECISION_ALLOW",
        model: "gemini-pro",
        reserved: "0.000000125",
        estimated_cost: "0.0000001",
        message: "held 0.000000125 USD for gemini-pro",
      });
    });

    it("ROUTING_POLICY_HIGHEST_MARGIN picks the largest charge minus cost", async () => {
      expect(choice(await route("rt-margin", "rt-margin-1", candidates))).toEqual({ decision: "DECISION_ALLOW", model: "gpt-4o", reserved: "0.0325", estimated_cost: "0.0125", message: "held 0.0325 USD for gpt-4o" });
    });

    it("ROUTING_POLICY_FIRST_ALLOWED picks the first allowed: `model`, then candidate_models in order", async () => {
      expect(choice(await route("rt-first", "rt-first-1", candidates))).toEqual({ decision: "DECISION_ALLOW", model: "claude-sonnet-4", reserved: "0.023", estimated_cost: "0.018", message: "held 0.023 USD for claude-sonnet-4" });
      // Without `model`: gemini-pro is not priced, so gpt-4o is the first allowed.
      expect(choice(await route("rt-first", "rt-first-2", { candidate_models: ["gemini-pro", "gpt-4o", "gpt-4o-mini"] }))).toEqual({
        decision: "DECISION_ALLOW",
        model: "gpt-4o",
        reserved: "0.0325",
        estimated_cost: "0.0125",
        message: "held 0.0325 USD for gpt-4o",
      });
    });

    it("routes only among candidates the wallet can fund", async () => {
      // 0.02 available: claude (0.023) and gpt-4o (0.0325) cannot be funded; gpt-4o-mini can.
      expect(choice(await route("rt-first-poor", "rt-first-poor-1", candidates))).toMatchObject({ decision: "DECISION_ALLOW", model: "gpt-4o-mini", reserved: "0.01075" });
      // 0.03 available: gpt-4o (margin 0.02) cannot be funded; of the rest gpt-4o-mini (0.01) beats claude (0.005).
      expect(choice(await route("rt-margin-poor", "rt-margin-poor-1", candidates))).toMatchObject({ decision: "DECISION_ALLOW", model: "gpt-4o-mini", reserved: "0.01075" });
      // None fundable: INSUFFICIENT_FUNDS naming the cheapest charge.
      expect(await route("rt-broke", "rt-broke-1", candidates)).toEqual(denied("INSUFFICIENT_FUNDS", "insufficient funds: 0.01075 needed, 0.005 available", "0.005", "claude-sonnet-4"));
      // None priced: MODEL_NOT_IN_PLAN.
      expect(await route("rt-low", "rt-low-2", { candidate_models: ["gemini-pro"] })).toEqual(
        denied("MODEL_NOT_IN_PLAN", 'plan "route-lowest" version 1 does not price model "gemini-pro"', "0.9891", "gemini-pro"),
      );
    });
  });

  describe("invalid and unknown input", () => {
    let holdId = "";
    let before: Balance;
    beforeAll(async () => {
      await customerWithCredits(catalog, wallet, "val", "prepaid", "1");
      holdId = (await hold("val", "val-hold", "0.05")).reservation_id;
      before = await balance("val");
    });

    const base = { customer_id: "val", model: "gpt-4o", max_charge: usd("0.01") };
    const authorizeCases: [string, object][] = [
      ["request_id", { ...base, request_id: "" }],
      ["request_id", { ...base, request_id: "has space" }],
      ["customer_id", { ...base, customer_id: "" }],
      ["model", { ...base, model: "" }],
      ["model", { ...base, model: "gpt 4o" }],
      ["candidate_models[1]", { ...base, candidate_models: ["gpt-4o-mini", "bad model!"] }],
      ["estimated_quantities[images]", { customer_id: "val", model: "gpt-4o", estimated_quantities: { images: "1" } }],
      ["estimated_quantities[input_tokens]", { customer_id: "val", model: "gpt-4o", estimated_quantities: { input_tokens: "-5" } }],
      ["estimated_quantities[input_tokens]", { customer_id: "val", model: "gpt-4o", estimated_quantities: { input_tokens: "lots" } }],
      ["estimated_quantities", { customer_id: "val", model: "gpt-4o" }],
      ["max_charge.amount", { ...base, max_charge: usd("-0.01") }],
      ["max_charge.amount", { ...base, max_charge: usd("ten") }],
      ["max_charge.currency", { ...base, max_charge: { amount: "0.01", currency: "EUR" } }],
      ["ttl", { ...base, ttl: { seconds: "0", nanos: 500_000_000 } }],
      ["ttl", { ...base, ttl: seconds(0) }],
      ["ttl", { ...base, ttl: seconds(86_401) }],
      ["ttl", { ...base, ttl: seconds(-5) }],
      ["attributes[1st]", { ...base, attributes: { "1st": "x" } }],
    ];
    it.each(authorizeCases.map(([field, request], i) => [field, i, request] as const))("Authorize with a bad %s (case %d) is INVALID_ARGUMENT naming it, and holds nothing", async (field, i, request) => {
      const error = await refusal(auth.call("Authorize", { request_id: `val-bad-${i}`, ...request }));
      expectInvalidField(error, field);
      expect(await balance("val")).toEqual(before);
    });

    const commitCases: [string, object][] = [
      ["reservation_id", { reservation_id: "" }],
      ["reservation_id", { reservation_id: "rsv_123" }],
      ["reservation_id", { reservation_id: "rsv.dmFs.!!" }],
      ["reservation_id", { reservation_id: `${reservationIdOf("val", "val-hold")}.x` }],
      ["event_id", { event_id: "" }],
      ["event_id", { event_id: "two words" }],
      ["quantities[images]", { quantities: { images: "1" } }],
      ["quantities[output_tokens]", { quantities: { output_tokens: "-1" } }],
      ["occurred_at", { occurred_at: ts(Date.UTC(1990, 0, 1)) }],
      ["occurred_at", { occurred_at: ts(Date.now() - 40 * day) }],
      ["occurred_at", { occurred_at: ts(Date.now() + 3_600_000) }],
      ["attributes[bad name]", { attributes: { "bad name": "x" } }],
    ];
    it.each(commitCases.map(([field, request], i) => [field, i, request] as const))("Commit with a bad %s (case %d) is INVALID_ARGUMENT naming it, and records nothing", async (field, i, request) => {
      const error = await refusal(auth.call("Commit", { reservation_id: holdId, event_id: `val-e-${i}`, quantities: { input_tokens: "10" }, ...request }));
      expectInvalidField(error, field);
      expect(await balance("val")).toEqual(before);
      expect(await ratedEvents("val")).toEqual([]);
    });

    const extendCases: [string, object][] = [
      ["reservation_id", { reservation_id: "" }],
      ["reservation_id", { reservation_id: "nope" }],
      ["ttl", { ttl: { seconds: "0", nanos: 0 } }],
      ["ttl", { ttl: seconds(90_000) }],
      ["estimated_quantities[images]", { additional_charge: null, estimated_quantities: { images: "2" } }],
      ["additional_charge.amount", { additional_charge: usd("-1") }],
      ["additional_charge.amount", { additional_charge: usd("1,5") }],
      ["additional_charge.currency", { additional_charge: { amount: "0.01", currency: "EUR" } }],
    ];
    it.each(extendCases)("Extend with a bad %s is INVALID_ARGUMENT naming it, and leaves the hold", async (field, request) => {
      const error = await refusal(auth.call("Extend", { reservation_id: holdId, additional_charge: usd("0.01"), ...request }));
      expectInvalidField(error, field);
      expect(await balance("val")).toEqual(before);
    });

    it.each([[""], ["rsv"], ["rsv.."], ["res_1"]])("Release of a malformed reservation id %p is INVALID_ARGUMENT naming reservation_id", async (id) => {
      const error = await refusal(auth.call("Release", { reservation_id: id }));
      expectInvalidField(error, "reservation_id");
      expect(await balance("val")).toEqual(before);
    });

    it("an unknown customer, model or candidate is NOT_FOUND", async () => {
      const cases: [object, string][] = [
        [{ request_id: "nf-1", customer_id: "ghost", model: "gpt-4o", max_charge: usd("0.01") }, 'customer "ghost" not found'],
        [{ request_id: "nf-2", customer_id: "val", model: "gpt-5", max_charge: usd("0.01") }, 'model "gpt-5" not found'],
        [{ request_id: "nf-3", customer_id: "val", model: "gpt-4o", candidate_models: ["gpt-4o-mini", "o9"], max_charge: usd("0.01") }, 'model "o9" not found'],
      ];
      for (const [request, details] of cases) {
        const error = await refusal(auth.call("Authorize", request));
        expect({ code: error.code, details: error.details }).toEqual({ code: grpc.status.NOT_FOUND, details });
      }
      expect(await balance("val")).toEqual(before);
    });

    it("a well-formed reservation id that names an unknown customer, or a request never authorized, is NOT_FOUND for Commit, Extend and Release", async () => {
      for (const id of [reservationIdOf("ghost", "r1"), reservationIdOf("val", "never-authorized")]) {
        for (const [method, request] of [
          ["Commit", { reservation_id: id, event_id: `nf-${id}`, quantities: { input_tokens: "10" } }],
          ["Extend", { reservation_id: id, additional_charge: usd("0.01") }],
          ["Release", { reservation_id: id }],
        ] as const) {
          const error = await refusal(auth.call(method, request));
          expect({ method, id, code: error.code }).toEqual({ method, id, code: grpc.status.NOT_FOUND });
        }
      }
      expect(await balance("val")).toEqual(before);
      expect(await ratedEvents("val")).toEqual([]);
    });
  });

  it("keeps tenants apart: another tenant cannot commit, extend or release a hold, nor see the answer of a request id", async () => {
    await customerWithCredits(catalog, wallet, "tess", "prepaid", "1");
    const a = await hold("tess", "tess-1", "0.05");
    const key = await server.newTenantKey(`authz-other-${backend}`);
    const other = {
      catalog: grpcService(server.grpcAddress, "CatalogService", key),
      wallet: grpcService(server.grpcAddress, "WalletService", key),
      auth: grpcService(server.grpcAddress, "AuthorizationService", key),
      rating: grpcService(server.grpcAddress, "RatingService", key),
    };
    try {
      // Before the other tenant has a customer of that id (or any catalog): NOT_FOUND for everything.
      for (const [method, request] of [
        ["Authorize", { request_id: "tess-1", customer_id: "tess", model: "gpt-4o", max_charge: usd("0.05") }],
        ["Commit", { reservation_id: a.reservation_id, event_id: "tess-e1" }],
        ["Extend", { reservation_id: a.reservation_id, additional_charge: usd("0.01") }],
        ["Release", { reservation_id: a.reservation_id }],
      ] as const) {
        expect({ method, code: (await refusal(other.auth.call(method, request))).code }).toEqual({ method, code: grpc.status.NOT_FOUND });
      }
      // With its own customer "tess" (and its own catalog): still no access to the first tenant's hold.
      await defineAuthzCatalog(other.catalog);
      await customerWithCredits(other.catalog, other.wallet, "tess", "prepaid", "2");
      for (const [method, request] of [
        ["Commit", { reservation_id: a.reservation_id, event_id: "tess-e1", quantities: { input_tokens: "10" } }],
        ["Extend", { reservation_id: a.reservation_id, additional_charge: usd("0.01") }],
        ["Release", { reservation_id: a.reservation_id }],
      ] as const) {
        expect({ method, code: (await refusal(other.auth.call(method, request))).code }).toEqual({ method, code: grpc.status.NOT_FOUND });
      }
      // The same request id in the other tenant is its own request: a new hold, not the first tenant's answer.
      const mine = (await other.auth.call("Authorize", { request_id: "tess-1", customer_id: "tess", model: "gpt-4o", max_charge: usd("0.02") })) as Authorized;
      expect([mine.decision, mine.reserved, mine.available]).toEqual(["DECISION_ALLOW", usd("0.02"), usd("1.98")]);
      expect(money(((await other.wallet.call("GetBalance", { customer_id: "tess" })) as { balance: Balance }).balance)).toEqual({ available: "1.98", credits: "2", reserved: "0.02", overage: "0" });
      expect(((await other.rating.call("ListRatedEvents", {})) as { events: unknown[] }).events).toEqual([]);
      // The first tenant's wallet is untouched by all of this.
      expect(money(await balance("tess"))).toEqual({ available: "0.95", credits: "1", reserved: "0.05", overage: "0" });
      expect((await release(a.reservation_id)).released).toEqual(usd("0.05"));
      expect(money(((await other.wallet.call("GetBalance", { customer_id: "tess" })) as { balance: Balance }).balance)).toEqual({ available: "1.98", credits: "2", reserved: "0.02", overage: "0" });
    } finally {
      for (const c of Object.values(other)) c.close();
    }
  }, 30_000);
});
