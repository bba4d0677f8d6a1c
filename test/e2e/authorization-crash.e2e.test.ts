import { afterAll, describe, expect, it } from "@jest/globals";
import * as grpc from "@grpc/grpc-js";
import pg from "pg";
import { costPlusCharge, costOf, customerWithCredits, defineAuthzCatalog, reservationIdOf, ts, usd, type ModelKey, type Money, type Timestamp } from "../support/authz-catalog.js";
import { runCli, serveProcess, type ServedProcess } from "../support/cli-process.js";
import { backends, createServerDatabase, otherSessionsEnded } from "../support/databases.js";
import { exact, sum, text } from "../support/exact-decimal.js";
import { grpcService, type GrpcCall } from "../support/grpc-client.js";

/*
 * A real `tollgate serve` process on server Postgres is killed with SIGKILL while Authorize,
 * Commit and IngestUsage calls (all with fixed ids) are in flight, restarted on the same
 * database, and every call is retried with the same ids until it is answered; holds that were
 * never meant to be committed are then released. Whatever the crash cut short, the end state
 * must be exactly that of a clean run: every wallet debited once per usage event at its price,
 * the usage summary exact, the event log's chains intact, and no hold left open.
 */

type Balance = { available: Money; credits_remaining: Money; reserved: Money; overage_used: Money };
type Authorized = { decision: string; reason: string; reservation_id: string; reserved: Money | null; model: string };
type Committed = { charge: Money; cost: Money; released: Money; overage: Money; balance: Balance };
type IngestResult = { event_id: string; status: string; charge: Money | null; cost: Money | null; error: string };
type UsageEvent = { event_id: string; customer_id: string; model: ModelKey; occurred_at: Timestamp; quantities: { input_tokens: string; output_tokens: string } };

const customers = Array.from({ length: 8 }, (_, i) => `crash-${i}`);
const credits = "5";
const holdAmount = "0.05";
const flowCount = 240;
const chains = 60;
const ingestCalls = 20;
const eventsPerCall = 50;

/** A flow: Authorize (gpt-4o, max_charge 0.05), then Commit at its usage, or (every sixth) nothing: released at the end. */
type Flow = { requestId: string; customer: string; eventId: string; quantities: { input_tokens: string; output_tokens: string }; commits: boolean; charge: bigint; cost: bigint };

function workload(base: number) {
  const flows: Flow[] = Array.from({ length: flowCount }, (_, f) => {
    const quantities = { input_tokens: String(200 + 7 * f), output_tokens: String(30 + (f % 50)) };
    return {
      requestId: `req-${f}`,
      customer: customers[f % customers.length] ?? "",
      eventId: `commit-${f}`,
      quantities,
      commits: f % 6 !== 5,
      charge: costPlusCharge("gpt-4o", quantities),
      cost: costOf("gpt-4o", quantities),
    };
  });
  const ingests: UsageEvent[][] = Array.from({ length: ingestCalls }, (_, c) =>
    Array.from({ length: eventsPerCall }, (_, k): UsageEvent => {
      const n = c * eventsPerCall + k;
      const model: ModelKey = n % 2 === 0 ? "claude-sonnet-4" : "gpt-4o-mini";
      return { event_id: `ingest-${c}-${k}`, customer_id: customers[(n * 3) % customers.length] ?? "", model, occurred_at: ts(base + n), quantities: { input_tokens: String(100 + (n % 997)), output_tokens: String(n % 61) } };
    }),
  );
  const ingestCharge = (e: UsageEvent) => costPlusCharge(e.model, e.quantities);
  return { flows, ingests, ingestCharge };
}

/** Calls until answered: UNAVAILABLE, DEADLINE_EXCEEDED and a refused connection are retried with the same request; anything else fails the test. */
async function untilAnswered(call: GrpcCall, method: string, request: object): Promise<Record<string, unknown>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(method, request, { deadlineMs: 20_000 });
    } catch (error) {
      const code = (error as grpc.ServiceError).code;
      if ((code !== grpc.status.UNAVAILABLE && code !== grpc.status.DEADLINE_EXCEEDED) || attempt >= 30) {
        throw new Error(`${method} ${JSON.stringify(request).slice(0, 300)} failed after ${attempt} attempt(s): ${(error as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 100 * Math.min(attempt, 5)));
    }
  }
}

const serverOnly = backends().includes("server") ? describe : describe.skip;
serverOnly("Authorize, Commit and IngestUsage across a kill -9 of the server (real process, server Postgres)", () => {
  const running: ServedProcess[] = [];
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    for (const p of running) await p.crash();
    await drop?.();
  });

  it("after a restart, retrying every call with its id leaves exact balances, an exact usage summary, intact chains and no open hold", async () => {
    const database = await createServerDatabase();
    drop = database.drop;
    const env = { DATABASE_URL: database.url };
    const first = await serveProcess(env);
    running.push(first);
    const created = runCli(["tenant", "create", "crash", "--json"], env);
    expect(created.status).toBe(0);
    const { api_key: apiKey } = JSON.parse(created.stdout.trim().split("\n").at(-1) ?? "{}") as { api_key: string };

    const catalog = grpcService(first.grpcAddress, "CatalogService", apiKey);
    const setupWallet = grpcService(first.grpcAddress, "WalletService", apiKey);
    await defineAuthzCatalog(catalog);
    for (const id of customers) await customerWithCredits(catalog, setupWallet, id, "prepaid", credits);
    catalog.close();
    setupWallet.close();

    const { flows, ingests, ingestCharge } = workload(Date.now() - 3_600_000);
    const totalUsage = flows.filter((f) => f.commits).length + ingestCalls * eventsPerCall;

    // Everything at once; SIGKILL as soon as the database holds the first committed usage.
    const db = new pg.Client({ connectionString: database.url });
    db.on("error", () => undefined); // dropping the database at the end ends this connection too
    await db.connect();
    const counts = async () => {
      const { rows } = await db.query<{ usage: number; commits: number; holds: number; reserved: string }>(
        `select (select count(*)::int from usage_events) as usage,
                (select count(*)::int from usage_events where reservation_id is not null) as commits,
                (select count(*)::int from wallet_events where type = 'FundsReserved') as holds,
                (select coalesce(sum(reserved), 0)::text from wallet_balances) as reserved`,
      );
      return rows[0] ?? { usage: 0, commits: 0, holds: 0, reserved: "0" };
    };
    const doomedAuth = grpcService(first.grpcAddress, "AuthorizationService", apiKey);
    const doomedRating = grpcService(first.grpcAddress, "RatingService", apiKey);
    // The flows run as `chains` sequences of Authorize, Commit, Authorize, Commit…: at the kill
    // some holds are placed and committed, some placed only, and some not asked for yet.
    const inFlight = [
      ...Array.from({ length: chains }, async (_, c) => {
        for (let f = c; f < flows.length; f += chains) {
          const flow = flows[f] as Flow;
          const a = (await doomedAuth.call("Authorize", { request_id: flow.requestId, customer_id: flow.customer, model: "gpt-4o", max_charge: usd(holdAmount) })) as unknown as Authorized;
          if (flow.commits && a.decision === "DECISION_ALLOW") await doomedAuth.call("Commit", { reservation_id: a.reservation_id, event_id: flow.eventId, quantities: flow.quantities });
        }
      }),
      // Ingestion in two lanes of calls one after the other, so it too is under way at the kill.
      ...[0, 1].map(async (lane) => {
        for (let c = lane; c < ingests.length; c += 2) await doomedRating.call("IngestUsage", { events: ingests[c] });
      }),
    ].map((p) => p.then(() => "answered" as const, () => "cut" as const));
    let atKill = { usage: 0, commits: 0, holds: 0, reserved: "0" };
    const deadline = Date.now() + 30_000;
    while ((atKill = await counts()).commits === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await first.crash();
    const outcomes = await Promise.all(inFlight);
    doomedAuth.close();
    doomedRating.close();
    expect(first.child.signalCode).toBe("SIGKILL");
    await otherSessionsEnded(db);
    const afterCrash = await counts();
    await db.end();
    // The crash really cut the work short: usage recorded but not all of it, holds placed but
    // not all of them, and holds left open.
    expect(atKill.commits).toBeGreaterThan(0);
    expect(afterCrash.usage).toBeLessThan(totalUsage);
    expect(afterCrash.holds).toBeGreaterThan(0);
    expect(afterCrash.holds).toBeLessThan(flowCount);
    expect(exact(afterCrash.reserved)).toBeGreaterThan(0n);
    expect(outcomes.filter((o) => o === "cut").length).toBeGreaterThan(0);

    const second = await serveProcess(env);
    running.push(second);
    const auth = grpcService(second.grpcAddress, "AuthorizationService", apiKey);
    const rating = grpcService(second.grpcAddress, "RatingService", apiKey);
    const wallet = grpcService(second.grpcAddress, "WalletService", apiKey);
    try {
      // What the crash left is consistent before any retry.
      expect(await rating.call("VerifyEventLog", {})).toEqual({ intact: true, verified_events: String(afterCrash.usage), first_broken_event_id: "", problem: "" });

      // Every call again, with the same ids, until answered.
      const retried = await Promise.all([
        ...flows.map(async (f) => {
          const a = (await untilAnswered(auth.call, "Authorize", { request_id: f.requestId, customer_id: f.customer, model: "gpt-4o", max_charge: usd(holdAmount) })) as unknown as Authorized;
          expect({ flow: f.requestId, decision: a.decision, reservation: a.reservation_id, reserved: a.reserved }).toEqual({
            flow: f.requestId,
            decision: "DECISION_ALLOW",
            reservation: reservationIdOf(f.customer, f.requestId),
            reserved: usd(holdAmount),
          });
          if (!f.commits) return;
          const c = (await untilAnswered(auth.call, "Commit", { reservation_id: a.reservation_id, event_id: f.eventId, quantities: f.quantities })) as unknown as Committed;
          expect({ flow: f.requestId, charge: c.charge, cost: c.cost, released: c.released, overage: c.overage }).toEqual({
            flow: f.requestId,
            charge: usd(text(f.charge)),
            cost: usd(text(f.cost)),
            released: usd(text(exact(holdAmount) - f.charge)),
            overage: usd("0"),
          });
        }),
        ...ingests.map(async (events) => {
          const { results } = (await untilAnswered(rating.call, "IngestUsage", { events })) as unknown as { results: IngestResult[] };
          expect(results.map((r) => [r.event_id, r.status === "INGEST_STATUS_ACCEPTED" || r.status === "INGEST_STATUS_DUPLICATE", r.charge])).toEqual(
            events.map((e) => [e.event_id, true, usd(text(ingestCharge(e)))]),
          );
        }),
      ]);
      expect(retried).toHaveLength(flows.length + ingests.length);
      // The holds never meant to be committed are released: each gives back its whole 0.05.
      for (const f of flows.filter((x) => !x.commits)) {
        const r = (await untilAnswered(auth.call, "Release", { reservation_id: reservationIdOf(f.customer, f.requestId) })) as { released: Money };
        expect({ flow: f.requestId, released: r.released }).toEqual({ flow: f.requestId, released: usd(holdAmount) });
      }

      // Balances: each wallet debited exactly once per usage event, nothing held, no overage.
      const charged = new Map<string, bigint[]>(customers.map((c) => [c, []]));
      for (const f of flows) if (f.commits) charged.get(f.customer)?.push(f.charge);
      for (const events of ingests) for (const e of events) charged.get(e.customer_id)?.push(ingestCharge(e));
      for (const id of customers) {
        const { balance } = (await wallet.call("GetBalance", { customer_id: id })) as { balance: Balance };
        const left = text(exact(credits) - sum(charged.get(id) ?? []));
        expect({ id, available: balance.available, credits: balance.credits_remaining, reserved: balance.reserved, overage: balance.overage_used }).toEqual({
          id,
          available: usd(left),
          credits: usd(left),
          reserved: usd("0"),
          overage: usd("0"),
        });
        const { events } = (await wallet.call("ListWalletEvents", { customer_id: id, after_version: "0", limit: 1000 })) as { events: { type: string; reservation_released?: { expired: boolean } }[] };
        const mine = flows.filter((f) => f.customer === id);
        expect({
          id,
          reserved: events.filter((e) => e.type === "FundsReserved").length,
          settled: events.filter((e) => e.type === "ReservationSettled").length,
          released: events.filter((e) => e.type === "ReservationReleased" && e.reservation_released?.expired === false).length,
        }).toEqual({ id, reserved: mine.length, settled: mine.filter((f) => f.commits).length, released: mine.filter((f) => !f.commits).length });
      }

      // The usage summary: every event once, at its price.
      const all = [...flows.filter((f) => f.commits).map((f) => f.charge), ...ingests.flat().map(ingestCharge)];
      const summary = (await rating.call("GetUsageSummary", { group_by: "GROUP_BY_CUSTOMER" })) as { rows: { key: string; charge: Money; event_count: string }[]; total_charge: Money; event_count: string };
      expect({ total: summary.total_charge, events: summary.event_count }).toEqual({ total: usd(text(sum(all))), events: String(totalUsage) });
      expect(summary.rows.map((r) => [r.key, r.charge.amount]).sort()).toEqual(customers.map((id) => [id, text(sum(charged.get(id) ?? []))]).sort());
      expect(await rating.call("VerifyEventLog", {})).toEqual({ intact: true, verified_events: String(totalUsage), first_broken_event_id: "", problem: "" });
    } catch (error) {
      // Name what the restarted server logged as failures, if anything.
      const failures = second.output().split("\n").filter((l) => /"level":(50|60)/.test(l)).slice(0, 3);
      if (failures.length > 0 && error instanceof Error) error.message += `\n\nthe restarted server logged:\n${failures.join("\n")}`;
      throw error;
    } finally {
      auth.close();
      rating.close();
      wallet.close();
    }
    expect(await second.stop()).toBe(0);
  }, 90_000);
});
