import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as grpc from "@grpc/grpc-js";
import { costPlusCharge, customerWithCredits, defineAuthzCatalog, usd, type Money } from "../support/authz-catalog.js";
import { startTwinServers, type TwinServers } from "../support/authz-servers.js";
import { backends } from "../support/databases.js";
import { exact, sum, text } from "../support/exact-decimal.js";
import { grpcService, type GrpcCall } from "../support/grpc-client.js";
import { startTestServer, type TestServer } from "../support/server.js";

/*
 * Many Authorize calls at once on ONE wallet, over gRPC: 600 holds of $0.01 against exactly
 * $1.00 of credits with no overage allowance must allow exactly 100, however the calls
 * interleave, and settling each allowed hold at its real usage must leave the balance exact to
 * the last digit. Run on one instance (both backends) and on two instances sharing one server
 * Postgres database, with calls sent alternately to each (the version constraint, not timing or
 * routing, must keep the wallet right).
 */

type Balance = { available: Money; credits_remaining: Money; reserved: Money; overage_used: Money; version: string };
type Authorized = { decision: string; reason: string; reservation_id: string; reserved: Money | null; model: string };
type Committed = { charge: Money; cost: Money; released: Money; overage: Money; balance: Balance };

const calls = 600;
const holdAmount = "0.01";

/** The real usage of the k-th allowed call: 100 + 10k input and 50 + k output tokens on gpt-4o. */
const usageOf = (k: number) => ({ input_tokens: String(100 + 10 * k), output_tokens: String(50 + k) });

/** A unary call retried on UNAVAILABLE (the code the service asks callers to retry with the same id). */
async function retrying(call: GrpcCall, method: string, request: object, retries: { count: number }): Promise<Record<string, unknown>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(method, request, { deadlineMs: 30_000 });
    } catch (error) {
      if ((error as grpc.ServiceError).code !== grpc.status.UNAVAILABLE || attempt >= 10) throw error;
      retries.count++;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}

/**
 * Defines the catalog and a customer with exactly $1.00 through the first address, then sends
 * the 600 Authorize calls at once (call i to address i mod n) and commits each allowed hold at
 * its real usage through the NEXT address (so on two instances every commit lands on the
 * instance that did not place the hold). Returns what the test checks.
 */
async function burst(addresses: readonly string[], apiKey: string, customer: string) {
  const catalog = grpcService(addresses[0] ?? "", "CatalogService", apiKey);
  const wallet = grpcService(addresses[0] ?? "", "WalletService", apiKey);
  const auths = addresses.map((a) => grpcService(a, "AuthorizationService", apiKey));
  const wallets = addresses.map((a) => grpcService(a, "WalletService", apiKey));
  const rating = grpcService(addresses[addresses.length - 1] ?? "", "RatingService", apiKey);
  const clientFor = (i: number) => auths[i % auths.length] ?? (auths[0] as (typeof auths)[number]);
  const retries = { authorize: { count: 0 }, commit: { count: 0 } };
  try {
    await customerWithCredits(catalog, wallet, customer, "prepaid", "1.00");
    // Every instance first loads the catalog and the wallet (a request it must deny), so the
    // burst finds them all ready and really contending for the same wallet row.
    for (const [n, auth] of auths.entries()) {
      const warm = (await auth.call("Authorize", { request_id: `${customer}-warm-${n}`, customer_id: customer, model: "gpt-4o", max_charge: usd("1.01") })) as unknown as Authorized;
      expect(warm.reason).toBe("DENY_REASON_INSUFFICIENT_FUNDS");
    }

    const answers = (await Promise.all(
      Array.from({ length: calls }, (_, i) =>
        retrying(clientFor(i).call, "Authorize", { request_id: `${customer}-${i}`, customer_id: customer, model: "gpt-4o", max_charge: usd(holdAmount) }, retries.authorize),
      ),
    )) as unknown as Authorized[];
    const held = (await Promise.all(wallets.map(async (w) => ((await w.call("GetBalance", { customer_id: customer })) as { balance: Balance }).balance)));

    const allowed = answers.map((a, i) => ({ a, i })).filter(({ a }) => a.decision === "DECISION_ALLOW");
    const expected = allowed.map((_, k) => costPlusCharge("gpt-4o", usageOf(k)));
    const commits = (await Promise.all(
      allowed.map(({ a, i }, k) => retrying(clientFor(i + 1).call, "Commit", { reservation_id: a.reservation_id, event_id: `${customer}-e${i}`, quantities: usageOf(k) }, retries.commit)),
    )) as unknown as Committed[];
    // A retry of every commit, through the instance that placed the hold, answers the same and changes nothing.
    const before = ((await wallet.call("GetBalance", { customer_id: customer })) as { balance: Balance }).balance;
    const again = (await Promise.all(
      allowed.map(({ a, i }, k) => retrying(clientFor(i).call, "Commit", { reservation_id: a.reservation_id, event_id: `${customer}-e${i}`, quantities: usageOf(k) }, retries.commit)),
    )) as unknown as Committed[];

    const balances = await Promise.all(wallets.map(async (w) => ((await w.call("GetBalance", { customer_id: customer })) as { balance: Balance }).balance));
    const summary = (await rating.call("GetUsageSummary", { customer_id: customer, group_by: "GROUP_BY_MODEL" })) as { total_charge: Money | null; event_count: string };
    const verify = (await rating.call("VerifyEventLog", {})) as { intact: boolean; verified_events: string };
    const events: { type: string }[] = [];
    for (let after = "0"; ; ) {
      const page = (await wallet.call("ListWalletEvents", { customer_id: customer, after_version: after, limit: 1000 })) as { events: { type: string; version: string }[]; last_version: string };
      events.push(...page.events);
      const last = page.events.at(-1);
      if (!last || last.version === page.last_version) break;
      after = last.version;
    }
    return { answers, allowed, held, expected, commits, before, again, balances, summary, verify, events, retries };
  } finally {
    for (const c of [catalog, wallet, rating, ...auths, ...wallets]) c.close();
  }
}

function checkBurst(result: Awaited<ReturnType<typeof burst>>): void {
  const { answers, allowed, held, expected, commits, before, again, balances, summary, verify, events } = result;
  // Exactly $1.00 / $0.01 = 100 holds; every other call is denied for funds.
  expect(allowed).toHaveLength(100);
  expect(answers.filter((a) => a.decision === "DECISION_DENY").map((a) => a.reason)).toEqual(Array.from({ length: calls - 100 }, () => "DENY_REASON_INSUFFICIENT_FUNDS"));
  expect(new Set(allowed.map(({ a }) => a.reservation_id)).size).toBe(100);
  expect(allowed.every(({ a }) => a.reserved?.amount === holdAmount)).toBe(true);
  for (const b of held) expect({ available: b.available, credits: b.credits_remaining, reserved: b.reserved }).toEqual({ available: usd("0"), credits: usd("1"), reserved: usd("1") });

  // Each commit: its own charge, the rest of its $0.01 released, nothing into overage.
  expect(commits.map((c) => [c.charge.amount, c.released.amount, c.overage.amount])).toEqual(expected.map((charge) => [text(charge), text(exact(holdAmount) - charge), "0"]));
  const settlement = (c: Committed) => ({ charge: c.charge, cost: c.cost, released: c.released, overage: c.overage });
  expect(again.map(settlement)).toEqual(commits.map(settlement));
  // Σ 1.25 × (0.00075 + 0.000035k) for k = 0..99 = 1.25 × (0.075 + 0.17325) = 0.3103125.
  const charged = sum(expected);
  expect(text(charged)).toBe("0.3103125");
  const left = text(exact("1") - charged);
  expect(left).toBe("0.6896875");
  for (const b of balances) {
    expect({ available: b.available, credits: b.credits_remaining, reserved: b.reserved, overage: b.overage_used, version: b.version }).toEqual({
      available: usd(left),
      credits: usd(left),
      reserved: usd("0"),
      overage: usd("0"),
      version: before.version,
    });
  }
  expect([summary.total_charge, summary.event_count]).toEqual([usd("0.3103125"), "100"]);
  expect(verify.intact).toBe(true);
  const count = (type: string) => events.filter((e) => e.type === type).length;
  expect({ reserved: count("FundsReserved"), settled: count("ReservationSettled"), released: count("ReservationReleased"), debited: count("UsageDebited") }).toEqual({
    reserved: 100,
    settled: 100,
    released: 0,
    debited: 0,
  });
  // The balance a retried Commit answers is the balance now (nothing changed since the first answers).
  const now = (b: Balance) => ({ available: b.available.amount, credits: b.credits_remaining.amount, reserved: b.reserved.amount, version: b.version });
  expect(again.map((c, k) => ({ k, balance: now(c.balance) }))).toEqual(again.map((_, k) => ({ k, balance: now(before) })));
}

describe.each(backends())("600 simultaneous Authorize calls on one wallet, one instance on %s Postgres", (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend);
    const catalog = grpcService(server.grpcAddress, "CatalogService", server.apiKey);
    await defineAuthzCatalog(catalog);
    catalog.close();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("allow exactly 100 holds of $0.01 on $1.00; settling each at its real usage leaves the balance exact", async () => {
    const result = await burst([server.grpcAddress], server.apiKey, "burst");
    checkBurst(result);
    expect(result.retries).toEqual({ authorize: { count: 0 }, commit: { count: 0 } });
  }, 60_000);
});

const serverOnly = backends().includes("server") ? describe : describe.skip;
serverOnly("600 simultaneous Authorize calls on one wallet, two instances on one server Postgres database", () => {
  let twins: TwinServers;
  beforeAll(async () => {
    twins = await startTwinServers();
    const catalog = grpcService(twins.grpcAddresses[0] ?? "", "CatalogService", twins.apiKey);
    await defineAuthzCatalog(catalog);
    catalog.close();
  }, 60_000);
  afterAll(async () => {
    await twins?.stop();
  });

  it("allow exactly 100 holds of $0.01 on $1.00 with calls alternating between the instances; commits through the other instance leave the balance exact", async () => {
    const result = await burst(twins.grpcAddresses, twins.apiKey, "twin-burst");
    checkBurst(result);
  }, 60_000);

  it("an instance loads a wallet whose history (more than 9 events) the other instance wrote, and decides on it correctly", async () => {
    const [a, b] = twins.grpcAddresses.map((address) => grpcService(address, "AuthorizationService", twins.apiKey));
    const catalog = grpcService(twins.grpcAddresses[0] ?? "", "CatalogService", twins.apiKey);
    const wallet = grpcService(twins.grpcAddresses[0] ?? "", "WalletService", twins.apiKey);
    if (!a || !b) throw new Error("two instances expected");
    try {
      await customerWithCredits(catalog, wallet, "twin-long", "prepaid", "1");
      // Through A: six holds, each settled at 1000 input + 500 output tokens (0.009375): the
      // wallet's events are WalletOpened, CreditsGranted, then FundsReserved/ReservationSettled
      // six times (versions 1 to 14), each settlement drawing on the grant.
      for (let i = 0; i < 6; i++) {
        const held = (await a.call("Authorize", { request_id: `long-${i}`, customer_id: "twin-long", model: "gpt-4o", max_charge: usd("0.02") })) as unknown as Authorized;
        await a.call("Commit", { reservation_id: held.reservation_id, event_id: `long-e${i}`, quantities: { input_tokens: "1000", output_tokens: "500" } });
      }
      const { balance } = (await wallet.call("GetBalance", { customer_id: "twin-long" })) as { balance: Balance };
      expect([balance.version, balance.credits_remaining]).toEqual(["14", usd("0.94375")]);
      // B has never seen this wallet: it loads it from the database. 1 - 6 × 0.009375 - 0.02 = 0.92375.
      const onB = await b.call("Authorize", { request_id: "long-b", customer_id: "twin-long", model: "gpt-4o", max_charge: usd("0.02") }).then(
        (r) => ({ decision: (r as unknown as Authorized).decision, available: (r as { available?: Money }).available }),
        (e: grpc.ServiceError) => ({ error: `${grpc.status[e.code]}: ${e.details}` }),
      );
      expect(onB).toEqual({ decision: "DECISION_ALLOW", available: usd("0.92375") });
    } finally {
      for (const c of [a, b, catalog, wallet]) c.close();
    }
  });

  describe("a hold placed through one instance, handled through the other", () => {
    type Clients = { auth: ReturnType<typeof grpcService>; wallet: ReturnType<typeof grpcService>; catalog: ReturnType<typeof grpcService> };
    let a: Clients;
    let b: Clients;
    beforeAll(() => {
      [a, b] = twins.grpcAddresses.map((address) => ({
        auth: grpcService(address, "AuthorizationService", twins.apiKey),
        wallet: grpcService(address, "WalletService", twins.apiKey),
        catalog: grpcService(address, "CatalogService", twins.apiKey),
      })) as [Clients, Clients];
    });
    afterAll(() => {
      for (const c of [a, b]) for (const client of Object.values(c ?? {})) client.close();
    });
    const balanceOf = async (id: string) => {
      const { balance } = (await a.wallet.call("GetBalance", { customer_id: id })) as { balance: Balance };
      return { available: balance.available.amount, credits: balance.credits_remaining.amount, reserved: balance.reserved.amount };
    };
    /**
     * A customer with $1 whose wallet both instances have used: a $0.1 hold through B, then a
     * $0.1 hold through A (so B's copy of the wallet predates A's hold). Returns A's hold.
     */
    const twoHolds = async (customer: string) => {
      await customerWithCredits(a.catalog, a.wallet, customer, "prepaid", "1");
      const onB = (await b.auth.call("Authorize", { request_id: "b1", customer_id: customer, model: "gpt-4o", max_charge: usd("0.1") })) as Authorized;
      const onA = (await a.auth.call("Authorize", { request_id: "a1", customer_id: customer, model: "gpt-4o", max_charge: usd("0.1") })) as Authorized;
      expect([onB.decision, onA.decision]).toEqual(["DECISION_ALLOW", "DECISION_ALLOW"]);
      expect(await balanceOf(customer)).toEqual({ available: "0.8", credits: "1", reserved: "0.2" });
      return onA;
    };

    it("a retried Authorize through the other instance returns the same hold and holds nothing more", async () => {
      const onA = await twoHolds("twin-retry");
      const again = (await b.auth.call("Authorize", { request_id: "a1", customer_id: "twin-retry", model: "gpt-4o", max_charge: usd("0.1") })) as Authorized;
      expect([again.decision, again.reservation_id, again.reserved]).toEqual(["DECISION_ALLOW", onA.reservation_id, usd("0.1")]);
      expect(await balanceOf("twin-retry")).toEqual({ available: "0.8", credits: "1", reserved: "0.2" });
    });

    it("Extend through the other instance grows the hold", async () => {
      const onA = await twoHolds("twin-extend");
      const extended = await b.auth.call("Extend", { reservation_id: onA.reservation_id, additional_charge: usd("0.05") }).then(
        (r) => ({ decision: (r as { decision: string }).decision, reserved: (r as { reserved: Money }).reserved }),
        (e: grpc.ServiceError) => ({ error: e.details }),
      );
      expect({ extended, balance: await balanceOf("twin-extend") }).toEqual({
        extended: { decision: "DECISION_ALLOW", reserved: usd("0.15") },
        balance: { available: "0.75", credits: "1", reserved: "0.25" },
      });
    });

    it("Release through the other instance returns the hold", async () => {
      const onA = await twoHolds("twin-release");
      const released = (await b.auth.call("Release", { reservation_id: onA.reservation_id })) as { released: Money; balance: Balance };
      expect({ released: released.released.amount, answered: released.balance.reserved.amount, balance: await balanceOf("twin-release") }).toEqual({
        released: "0.1",
        answered: "0.1",
        balance: { available: "0.9", credits: "1", reserved: "0.1" },
      });
    });

    it("Commit through the other instance settles the hold and answers the balance after", async () => {
      const onA = await twoHolds("twin-commit");
      // 1000 input + 500 output tokens on gpt-4o: 0.009375; 0.090625 of the hold released.
      const committed = (await b.auth.call("Commit", { reservation_id: onA.reservation_id, event_id: "e1", quantities: { input_tokens: "1000", output_tokens: "500" } })) as unknown as Committed;
      expect([committed.charge, committed.released, committed.overage]).toEqual([usd("0.009375"), usd("0.090625"), usd("0")]);
      expect([committed.balance.credits_remaining, committed.balance.reserved]).toEqual([usd("0.990625"), usd("0.1")]);
      expect(await balanceOf("twin-commit")).toEqual({ available: "0.890625", credits: "0.990625", reserved: "0.1" });
      // Its retry through the instance that placed the hold answers the same, with the balance now.
      const again = (await a.auth.call("Commit", { reservation_id: onA.reservation_id, event_id: "e1", quantities: { input_tokens: "1000", output_tokens: "500" } })) as unknown as Committed;
      expect([again.charge, again.released, again.balance.credits_remaining, again.balance.reserved]).toEqual([usd("0.009375"), usd("0.090625"), usd("0.990625"), usd("0.1")]);
    });
  });
});
