import { createServerDatabase, type Backend } from "../support/databases.js";
import { startTestServer, type TestServer } from "../support/server.js";

/**
 * `startTestServer(backend)`, with one difference on server Postgres: the test database is
 * dropped only after the server's pool has had time to finish closing its connections.
 *
 * Why: `startTestServer("server").stop()` drops the database `with (force)` as soon as
 * `running.stop()` resolves, but pg-pool's `end()` resolves before its clients' sockets have
 * closed. The forced drop then terminates those connections, the pool emits `error`, and since
 * src/adapters/postgres/database.ts attaches no `error` listener to its `pg.Pool`, the emit
 * throws ("Unhandled error") and fails the whole suite at random (a few percent of teardowns).
 * The same missing listener crashes a running server when Postgres restarts: see
 * database-resilience.e2e.test.ts. Once the pool has an error listener this wrapper can go and
 * the suites can call startTestServer(backend) directly.
 */
export async function startE2eServer(backend: Backend): Promise<TestServer> {
  if (backend === "embedded") return startTestServer(backend);
  const database = await createServerDatabase();
  let server: TestServer;
  try {
    server = await startTestServer("embedded", { env: { DATABASE_URL: database.url } });
  } catch (error) {
    await database.drop();
    throw error;
  }
  return {
    ...server,
    backend: "server",
    newTenantKey: (name) => server.newTenantKey(name),
    stop: async () => {
      await server.stop();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await database.drop();
    },
  };
}
