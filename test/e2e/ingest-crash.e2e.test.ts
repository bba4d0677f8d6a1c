import { afterAll, describe, expect, it } from "@jest/globals";
import pg from "pg";
import { runCli, serveProcess, type ServedProcess } from "../support/cli-process.js";
import { backends, createServerDatabase, otherSessionsEnded } from "../support/databases.js";
import { exact, sum, text } from "../support/exact-decimal.js";
import { grpcService } from "../support/grpc-client.js";
import { defineRatingCatalog, expectedCharge, expectedCost, ts, type Meter, type ModelKey } from "../support/rating-catalog.js";

/*
 * A real `tollgate serve` process on server Postgres is killed with SIGKILL while IngestUsage
 * calls are in flight, restarted on the same database, and every call is replayed with the same
 * event ids until it is answered. Whatever the crash cut short, the end state must be exactly
 * the state of a clean run: each event recorded once at its price, each wallet debited once per
 * event, and the hash chains intact. (Embedded Postgres is owned by one process and has no
 * concurrent writers across processes; the crash path that matters is the server one.)
 */

type Money = { amount: string; currency: string };
type IngestResult = { event_id: string; status: string; charge: Money | null; cost: Money | null; error: string };
type Event = { event_id: string; customer_id: string; model: ModelKey; occurred_at: { seconds: string; nanos: number }; quantities: Partial<Record<Meter, string>> };

const calls = 40;
const eventsPerCall = 250;
const customers = Array.from({ length: 10 }, (_, i) => `crash-${i}`);
const overageLimit = "1000";
const day = 86_400_000;

/** The calls, with fixed ids and contents, and each event's clean-run charge and cost. */
function workload(base: number) {
  const expected = new Map<string, { customer: string; charge: bigint; cost: bigint }>();
  const requests: Event[][] = Array.from({ length: calls }, (_, c) =>
    Array.from({ length: eventsPerCall }, (_, k): Event => {
      const n = c * eventsPerCall + k;
      const model: ModelKey = n % 3 === 0 ? "claude-sonnet-4" : "gpt-4o";
      const quantities = { input_tokens: String(100 + (n % 997)), output_tokens: String(n % 61), ...(n % 5 ? { cached_input_tokens: String(n % 23) } : {}) };
      const customer = customers[n % customers.length] ?? "";
      expected.set(`c${c}-e${k}`, { customer, charge: expectedCharge(model, quantities), cost: expectedCost(model, quantities) });
      return { event_id: `c${c}-e${k}`, customer_id: customer, model, occurred_at: ts(base + n), quantities };
    }),
  );
  return { requests, expected };
}

const serverOnly = backends().includes("server") ? describe : describe.skip;
serverOnly("IngestUsage across a kill -9 of the server (real process, server Postgres)", () => {
  const running: ServedProcess[] = [];
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    for (const p of running) await p.crash();
    await drop?.();
  });

  it("after a restart, replaying every call records each event exactly once at its clean price, debits each wallet exactly, and keeps the chains intact", async () => {
    const database = await createServerDatabase();
    drop = database.drop;
    const env = { DATABASE_URL: database.url };
    const first = await serveProcess(env);
    running.push(first);
    const created = runCli(["tenant", "create", "crash", "--json"], env);
    expect(created.status).toBe(0);
    const { api_key: apiKey } = JSON.parse(created.stdout.trim().split("\n").at(-1) ?? "{}") as { api_key: string };

    const catalog = grpcService(first.grpcAddress, "CatalogService", apiKey);
    await defineRatingCatalog(catalog, { overageLimit });
    for (const id of customers) await catalog.call("CreateCustomer", { customer_id: id, plan_key: "pro", started_at: ts(Date.now() - 40 * day) });
    catalog.close();

    const { requests, expected } = workload(Date.now() - 3_600_000);

    // Everything at once; SIGKILL as soon as the database holds some of the events but not all:
    // the process dies with calls in flight and writes half done.
    const total = calls * eventsPerCall;
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const recorded = async () => (await db.query<{ n: number }>("select count(*)::int as n from usage_events")).rows[0]?.n ?? 0;
    const doomed = grpcService(first.grpcAddress, "RatingService", apiKey);
    const answeredBeforeCrash = new Map<number, IngestResult[]>();
    let crashed = false;
    const inFlight = requests.map((events, c) =>
      doomed.call("IngestUsage", { events }).then(
        (response) => {
          if (!crashed) answeredBeforeCrash.set(c, (response as { results: IngestResult[] }).results);
        },
        () => undefined,
      ),
    );
    let atKill = 0;
    const deadline = Date.now() + 30_000;
    while ((atKill = await recorded()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    crashed = true;
    await first.crash();
    await Promise.all(inFlight);
    doomed.close();
    expect(first.child.signalCode).toBe("SIGKILL");
    await otherSessionsEnded(db);
    const beforeReplay = await recorded();
    await db.end();
    // The crash really cut the work short.
    expect(atKill).toBeGreaterThan(0);
    expect(beforeReplay).toBeLessThan(total);
    expect(answeredBeforeCrash.size).toBeLessThan(calls);

    const second = await serveProcess(env);
    running.push(second);
    const rating = grpcService(second.grpcAddress, "RatingService", apiKey);
    const wallet = grpcService(second.grpcAddress, "WalletService", apiKey);
    try {
      // Before any replay: what the crash left is consistent. Each customer's recorded events and
      // its wallet's debits were written together (all or nothing), and the chains hold.
      const left = (await rating.call("GetUsageSummary", { group_by: "GROUP_BY_CUSTOMER" })) as { rows: { key: string; charge: Money; event_count: string }[]; event_count: string };
      expect(left.event_count).toBe(String(beforeReplay));
      for (const id of customers) {
        const { balance } = (await wallet.call("GetBalance", { customer_id: id })) as { balance: { overage_used: Money } };
        expect({ id, debited: balance.overage_used.amount }).toEqual({ id, debited: left.rows.find((r) => r.key === id)?.charge.amount ?? "0" });
      }
      expect(await rating.call("VerifyEventLog", {})).toEqual({ intact: true, verified_events: String(beforeReplay), first_broken_event_id: "", problem: "" });

      const replay = async (events: Event[]): Promise<IngestResult[]> => {
        for (let attempt = 1; ; attempt++) {
          try {
            return ((await rating.call("IngestUsage", { events }, { deadlineMs: 30_000 })) as { results: IngestResult[] }).results;
          } catch (error) {
            if (attempt >= 20) throw error;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      };
      const replayed = await Promise.all(requests.map(replay));

      // Each event: recorded once, at the price a clean run gives it.
      let duplicates = 0;
      replayed.forEach((results, c) => {
        expect(results.map((r) => r.event_id)).toEqual(requests[c]?.map((e) => e.event_id));
        for (const r of results) {
          const clean = expected.get(r.event_id);
          expect({ id: r.event_id, status: r.status === "INGEST_STATUS_ACCEPTED" || r.status === "INGEST_STATUS_DUPLICATE", charge: r.charge, cost: r.cost }).toEqual({
            id: r.event_id,
            status: true,
            charge: { amount: text(clean?.charge ?? -1n), currency: "USD" },
            cost: { amount: text(clean?.cost ?? -1n), currency: "USD" },
          });
          if (r.status === "INGEST_STATUS_DUPLICATE") duplicates++;
        }
      });
      // A call answered before the crash was durable: all of it is a duplicate now, as first priced.
      for (const [c, results] of answeredBeforeCrash) {
        expect(results.every((r) => r.status === "INGEST_STATUS_ACCEPTED")).toBe(true);
        expect(replayed[c]?.map((r) => [r.status, r.charge])).toEqual(results.map((r) => ["INGEST_STATUS_DUPLICATE", r.charge]));
      }
      // What the first process recorded is a duplicate now; the rest was recorded by the replay.
      expect(duplicates).toBe(beforeReplay);

      const all = [...expected.values()];
      const summary = (await rating.call("GetUsageSummary", { group_by: "GROUP_BY_CUSTOMER" })) as {
        rows: { key: string; charge: Money; cost: Money; event_count: string }[];
        total_charge: Money;
        total_cost: Money;
        event_count: string;
      };
      expect({ count: summary.event_count, charge: summary.total_charge.amount, cost: summary.total_cost.amount }).toEqual({
        count: String(calls * eventsPerCall),
        charge: text(sum(all.map((e) => e.charge))),
        cost: text(sum(all.map((e) => e.cost))),
      });
      expect(summary.rows.map((r) => [r.key, r.event_count, r.charge.amount, r.cost.amount])).toEqual(
        customers.map((id) => {
          const mine = all.filter((e) => e.customer === id);
          return [id, String(mine.length), text(sum(mine.map((e) => e.charge))), text(sum(mine.map((e) => e.cost)))];
        }),
      );

      // Each wallet debited by exactly its customer's charges: no credits, so all overage.
      for (const id of customers) {
        const charged = sum(all.filter((e) => e.customer === id).map((e) => e.charge));
        const { balance } = (await wallet.call("GetBalance", { customer_id: id })) as { balance: { overage_used: Money; available: Money } };
        expect({ id, overage_used: balance.overage_used.amount, available: balance.available.amount }).toEqual({ id, overage_used: text(charged), available: text(exact(overageLimit) - charged) });
      }

      expect(await rating.call("VerifyEventLog", {})).toEqual({ intact: true, verified_events: String(calls * eventsPerCall), first_broken_event_id: "", problem: "" });
    } finally {
      rating.close();
      wallet.close();
    }
    expect(await second.stop()).toBe(0);
  }, 90_000);
});
