import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { runCli, runCliAsync, serveProcess } from "../support/cli-process.js";
import { backends, createServerDatabase } from "../support/databases.js";
import { connectJson } from "../support/grpc-client.js";

/*
 * `tollgate verify-log` on what a real `tollgate serve` process wrote: usage is sent over the
 * HTTP port as Connect JSON (camelCase fields, as curl or a browser would), the server is
 * stopped, and the command line recomputes the chains from the database, on an embedded data
 * dir and on server Postgres. Deleting a record behind the append-only trigger's back (a replica
 * session on server Postgres) must turn its answer to "broken" with exit code 1. (Tampering as
 * such is covered through VerifyEventLog in rating.e2e.test.ts; each embedded verify-log run
 * costs seconds of PGlite start-up, so the embedded data dir is checked intact only.)
 */

type Line = { tenant_id: string; intact: boolean; verified_events: number; first_broken_event_id: string; problem: string };

const day = 86_400_000;
const eventIds = ["cli-1", "cli-2", "cli-3", "cli-4", "cli-5"];

/** Builds a small catalog and records five events of two customers through Connect JSON. */
async function recordUsage(httpUrl: string, apiKey: string): Promise<void> {
  const post = async (method: string, body: object) => {
    const response = await connectJson(httpUrl, method, body, apiKey);
    if (response.status !== 200) throw new Error(`${method} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  };
  for (const key of ["input_tokens", "output_tokens", "cached_input_tokens"]) await post("tollgate.v1.CatalogService/DefineMeter", { key, displayName: key, unit: "token" });
  await post("tollgate.v1.CatalogService/DefineModel", {
    key: "gpt-4o",
    vendor: "openai",
    cost: { expression: "input_tokens * rate_in + output_tokens * rate_out + cached_input_tokens * rate_cached", rates: { rate_in: "0.0000025", rate_out: "0.00001", rate_cached: "0.00000125" } },
    currency: "USD",
    effectiveFrom: "2024-01-01T00:00:00Z",
  });
  await post("tollgate.v1.CatalogService/CreatePlan", { key: "pro", currency: "USD" });
  await post("tollgate.v1.CatalogService/PublishPlanVersion", { planKey: "pro", version: { effectiveFrom: "2025-01-01T00:00:00Z", prices: [{ model: "gpt-4o", formula: { expression: "cost * 1.25" } }] } });
  const startedAt = new Date(Date.now() - 40 * day).toISOString();
  for (const customerId of ["alpha", "beta"]) await post("tollgate.v1.CatalogService/CreateCustomer", { customerId, planKey: "pro", startedAt });
  const occurredAt = new Date(Date.now() - 2 * day).toISOString();
  const ingested = await post("tollgate.v1.RatingService/IngestUsage", {
    events: eventIds.map((eventId, i) => ({
      eventId,
      customerId: i < 3 ? "alpha" : "beta",
      model: "gpt-4o",
      occurredAt,
      quantities: { input_tokens: "1200", output_tokens: "300", cached_input_tokens: "100" },
    })),
  });
  // Connect JSON leaves empty fields out: no `error` on accepted events.
  expect(ingested).toEqual({
    results: eventIds.map((eventId) => ({ eventId, status: "INGEST_STATUS_ACCEPTED", charge: { amount: "0.00765625", currency: "USD" }, cost: { amount: "0.006125", currency: "USD" } })),
  });
  expect(await post("tollgate.v1.RatingService/VerifyEventLog", {})).toEqual({ intact: true, verifiedEvents: "5" });
}

const lines = (stdout: string): Line[] =>
  stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);

const onServer = backends().includes("server");
const dataDir = mkdtempSync(join(tmpdir(), "tollgate-verify-"));
const embeddedEnv = { TOLLGATE_DATA_DIR: dataDir };
let database: Awaited<ReturnType<typeof createServerDatabase>> | undefined;
let serverEnv: Record<string, string> = {};
let serverTenantId = "";

/** A server process on a fresh embedded data dir records usage, then stops. */
async function setUpEmbedded(): Promise<void> {
  const served = await serveProcess(embeddedEnv);
  try {
    await recordUsage(served.httpUrl, readFileSync(join(dataDir, "api-key"), "utf8").trim());
  } finally {
    expect(await served.stop()).toBe(0);
  }
}

/** The same on a fresh server database, with a tenant made by `tollgate tenant create`. */
async function setUpServer(): Promise<void> {
  database = await createServerDatabase();
  serverEnv = { DATABASE_URL: database.url };
  const served = await serveProcess(serverEnv);
  try {
    const created = await runCliAsync(["tenant", "create", "verify", "--json"], serverEnv);
    expect(created.status).toBe(0);
    const { tenant_id, api_key } = JSON.parse(created.stdout.trim().split("\n").at(-1) ?? "{}") as { tenant_id: string; api_key: string };
    serverTenantId = tenant_id;
    await recordUsage(served.httpUrl, api_key);
  } finally {
    expect(await served.stop()).toBe(0);
  }
}

// Both set-ups at once: each is mostly a process starting up.
beforeAll(() => Promise.all([setUpEmbedded(), onServer ? setUpServer() : undefined]), 90_000);
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await database?.drop();
});

describe("tollgate verify-log on an embedded data dir", () => {
  it("recomputes the chains of the stopped server's log: intact, exit 0", () => {
    const result = runCli(["verify-log", "--json"], embeddedEnv);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const [only, ...others] = lines(result.stdout);
    expect(others).toEqual([]);
    expect(only).toEqual({ tenant_id: expect.stringMatching(/^ten_/), intact: true, verified_events: 5, first_broken_event_id: "", problem: "" });
  }, 30_000);
});

(onServer ? describe : describe.skip)("tollgate verify-log on server Postgres (DATABASE_URL)", () => {
  it("recomputes the chains: intact, exit 0", () => {
    const result = runCli(["verify-log", "--json"], serverEnv);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(lines(result.stdout)).toEqual([{ tenant_id: serverTenantId, intact: true, verified_events: 5, first_broken_event_id: "", problem: "" }]);
  });

  it("reports the last record of a chain deleted behind the trigger's back, with exit 1", async () => {
    const db = new pg.Client({ connectionString: serverEnv["DATABASE_URL"] });
    await db.connect();
    try {
      await db.query("set session_replication_role = replica");
      expect((await db.query("delete from usage_events where event_id = 'cli-5'")).rowCount).toBe(1);
    } finally {
      await db.end();
    }
    const result = runCli(["verify-log", "--tenant", serverTenantId], serverEnv);
    expect(result.status).toBe(1);
    // alpha (cli-1..3) verifies; beta's chain ends at cli-4 though two records were written.
    expect(result.stdout).toBe(
      `${serverTenantId}: BROKEN at event "cli-4" after 4 verified: customer beta: the chain ends at record 1 but 2 were written (records were removed from its end)\n`,
    );
  });
});
