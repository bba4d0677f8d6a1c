import { randomBytes } from "node:crypto";
import pg from "pg";

export type Backend = "embedded" | "server";

/** Embedded always; server Postgres too when global setup found one. */
export function backends(): Backend[] {
  return process.env["TOLLGATE_TEST_SERVER_PG"] === "1" ? ["embedded", "server"] : ["embedded"];
}

/**
 * A fresh, uniquely named database on the test Postgres server, dropped by the returned
 * function. Tests never share or reuse databases.
 */
export async function createServerDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env["TOLLGATE_TEST_PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const name = `tollgate_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Waits until `client` is the only session on its database. After a kill -9 of a server, the
 * statements it had already sent still run to their end, and commit, in Postgres; what the crash
 * left is only settled once the dead process's sessions are gone.
 */
export async function otherSessionsEnded(client: pg.Client, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query<{ n: number }>("select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()");
    if ((rows[0]?.n ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error("the killed server's database sessions did not end");
    await new Promise((r) => setTimeout(r, 20));
  }
}
