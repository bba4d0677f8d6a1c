import pg from "pg";

/**
 * Decides once per run whether the suites also run against server Postgres. The server is used
 * when it answers at TOLLGATE_TEST_PG_URL (default: the local one); CI sets
 * TOLLGATE_TEST_REQUIRE_SERVER=1 so a missing server fails the run instead of skipping.
 */
export default async function globalSetup(): Promise<void> {
  // Servers the tests spawn inherit this: many run at once, so none may take the default
  // metrics port.
  process.env["TOLLGATE_METRICS_PORT"] ??= "0";
  const url = process.env["TOLLGATE_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query("select 1");
    process.env["TOLLGATE_TEST_PG_URL"] = url;
    process.env["TOLLGATE_TEST_SERVER_PG"] = "1";
  } catch (error) {
    if (process.env["TOLLGATE_TEST_REQUIRE_SERVER"] === "1") {
      throw new Error(`server Postgres is required (TOLLGATE_TEST_REQUIRE_SERVER=1) but ${url} did not answer: ${String(error)}`);
    }
    process.env["TOLLGATE_TEST_SERVER_PG"] = "0";
    process.stderr.write(`\nserver Postgres not reachable at ${url}: running the persistence and e2e suites on embedded Postgres only\n`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
