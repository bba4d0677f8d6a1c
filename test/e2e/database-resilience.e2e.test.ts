import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import pg from "pg";
import { backends, createServerDatabase } from "../support/databases.js";
import { grpcService } from "../support/grpc-client.js";
import { startTestServer, type TestServer } from "../support/server.js";

/*
 * Server Postgres drops connections in normal operation: restarts, failovers, idle timeouts in
 * a proxy, an operator's pg_terminate_backend. The server must ride through it: pooled
 * connections that die while idle are replaced, and the process does not crash.
 *
 * The database is created here (not by startTestServer's "server" backend) so the test knows
 * its name and can terminate exactly its connections, without touching other suites' databases.
 */

const onServerPostgres = backends().includes("server") ? describe : describe.skip;

onServerPostgres("the server on server Postgres when the database drops its connections", () => {
  let database: Awaited<ReturnType<typeof createServerDatabase>>;
  let server: TestServer;
  let catalog: ReturnType<typeof grpcService>;

  /** Terminates every session on this test's database (as a restart or failover would). */
  async function terminateSessions(): Promise<number> {
    const admin = new pg.Client({ connectionString: process.env["TOLLGATE_TEST_PG_URL"] });
    await admin.connect();
    try {
      const name = new URL(database.url).pathname.slice(1);
      const result = await admin.query<{ terminated: boolean }>(
        "select pg_terminate_backend(pid) as terminated from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
        [name],
      );
      return result.rows.filter((r) => r.terminated).length;
    } finally {
      await admin.end();
    }
  }

  beforeAll(async () => {
    database = await createServerDatabase();
    server = await startTestServer("embedded", { env: { DATABASE_URL: database.url } });
    catalog = grpcService(server.grpcAddress, "CatalogService", server.apiKey);
  }, 60_000);

  afterAll(async () => {
    catalog?.close();
    await server?.stop();
    // Let the pool's sockets finish closing before the database is dropped under them.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await database?.drop();
  });

  it("keeps answering after Postgres terminates its idle pooled connections", async () => {
    await catalog.call("DefineMeter", { key: "input_tokens", unit: "token" });
    // Several calls at once so the pool holds more than one idle connection.
    await Promise.all(Array.from({ length: 5 }, () => catalog.call("ListMeters", {})));
    expect(await terminateSessions()).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const { meters } = (await catalog.call("ListMeters", {})) as { meters: { key: string }[] };
    expect(meters.map((m) => m.key)).toEqual(["input_tokens"]);
    const { meter } = (await catalog.call("DefineMeter", { key: "output_tokens", unit: "token" })) as { meter: { key: string } };
    expect(meter.key).toBe("output_tokens");
  });
});
