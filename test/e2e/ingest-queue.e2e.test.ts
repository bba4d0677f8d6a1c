import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { backends } from "../support/databases.js";
import { grpcService } from "../support/grpc-client.js";
import { defineRatingCatalog, ts } from "../support/rating-catalog.js";
import { startTestServer, type TestServer } from "../support/server.js";

/*
 * IngestUsage calls beyond what an instance lets in at once wait their turn and then complete
 * exactly as if they had run side by side. The server here lets in two calls at a time (the
 * bound of events in progress is 1), and calls that retry one another's events are sent
 * together, so waiting at the gate and waiting for another call's event ids meet.
 */

type IngestResult = { event_id: string; status: string; charge: { amount: string; currency: string } | null; error: string };

const hour = 3_600_000;
const q1 = { input_tokens: "1200", output_tokens: "300", cached_input_tokens: "100" };
/** gpt-4o at list price (0.006125 for q1) on the cost-plus plan: × 1.25. */
const chargeOfQ1 = "0.00765625";

describe.each(backends())("IngestUsage calls queued at the gate on %s Postgres", (backend) => {
  let server: TestServer;
  let catalog: ReturnType<typeof grpcService>;
  let rating: ReturnType<typeof grpcService>;
  let wallet: ReturnType<typeof grpcService>;
  const now = Date.now();

  beforeAll(async () => {
    server = await startTestServer(backend, { env: { TOLLGATE_INGEST_EVENTS_IN_PROGRESS_MAX: "1" } });
    catalog = grpcService(server.grpcAddress, "CatalogService", server.apiKey);
    rating = grpcService(server.grpcAddress, "RatingService", server.apiKey);
    wallet = grpcService(server.grpcAddress, "WalletService", server.apiKey);
    await defineRatingCatalog(catalog);
    for (const id of ["queue-a", "queue-b"]) await catalog.call("CreateCustomer", { customer_id: id, plan_key: "pro", started_at: ts(now - 40 * 86_400_000) });
  }, 60_000);
  afterAll(async () => {
    for (const client of [catalog, rating, wallet]) client.close();
    await server.stop();
  });

  it("answers every one of eight calls sent at once, recording each event once and debiting it once", async () => {
    // Four distinct calls of 50 events, each sent twice: the copies are retries of each other.
    const calls = Array.from({ length: 4 }, (_, c) =>
      Array.from({ length: 50 }, (_, i) => ({ event_id: `q-${c}-${i}`, customer_id: i % 2 ? "queue-a" : "queue-b", model: "gpt-4o", occurred_at: ts(now - hour + c * 100 + i), quantities: q1 })),
    );
    const sent = [...calls, ...calls];
    const answers = (await Promise.all(sent.map((events) => rating.call("IngestUsage", { events })))) as { results: IngestResult[] }[];

    for (let c = 0; c < calls.length; c++) {
      const first = answers[c]?.results ?? [];
      const second = answers[c + calls.length]?.results ?? [];
      expect(first).toHaveLength(50);
      expect(second).toHaveLength(50);
      first.forEach((r, i) => {
        const statuses = [r.status, second[i]?.status].sort();
        expect(statuses).toEqual(["INGEST_STATUS_ACCEPTED", "INGEST_STATUS_DUPLICATE"]);
        expect(r.event_id).toBe(`q-${c}-${i}`);
        expect(r.charge?.amount).toBe(chargeOfQ1);
        expect(second[i]?.charge?.amount).toBe(chargeOfQ1);
      });
    }

    const summary = (await rating.call("GetUsageSummary", {})) as { event_count: string; total_charge: { amount: string } | null };
    expect(summary.event_count).toBe("200");
    // 200 × 0.00765625
    expect(summary.total_charge?.amount).toBe("1.53125");
    for (const id of ["queue-a", "queue-b"]) {
      const { balance } = (await wallet.call("GetBalance", { customer_id: id })) as { balance: { overage_used: { amount: string } } };
      // 100 events each × 0.00765625
      expect(balance.overage_used.amount).toBe("0.765625");
    }
    const verified = (await rating.call("VerifyEventLog", {})) as { intact: boolean; verified_events: string };
    expect(verified).toMatchObject({ intact: true, verified_events: "200" });
  });
});
