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
