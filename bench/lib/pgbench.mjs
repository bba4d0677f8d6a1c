// The bare-Postgres baseline, measured in the same run on the same server with pgbench.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const pgUrl = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Runs a pgbench script (SQL text) and returns its transactions per second. */
export function pgbench({ script, clients, seconds, setupSql }) {
  if (setupSql) execFileSync("psql", [pgUrl, "-q", "-v", "ON_ERROR_STOP=1", "-c", setupSql], { stdio: "pipe" });
  const dir = mkdtempSync(join(tmpdir(), "pgbench-"));
  const file = join(dir, "script.sql");
  writeFileSync(file, script);
  try {
    const out = execFileSync("pgbench", ["-n", "-c", String(clients), "-j", "2", "-T", String(seconds), "-f", file, pgUrl], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const tps = /tps = ([\d.]+)/.exec(out);
    const latency = /latency average = ([\d.]+) ms/.exec(out);
    return { tps: tps ? Number(tps[1]) : NaN, latencyAvgMs: latency ? Number(latency[1]) : NaN };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The "Postgres and a script" way to guard a balance: a conditional UPDATE of one hot row, 16 clients. */
export function pgbenchHotRow(seconds) {
  const result = pgbench({
    setupSql: "drop table if exists tollgate_bench_hot; create table tollgate_bench_hot (id int primary key, balance bigint not null); insert into tollgate_bench_hot values (1, 1000000000000);",
    script: "update tollgate_bench_hot set balance = balance - 1 where id = 1 and balance >= 1;\n",
    clients: 16,
    seconds,
  });
  execFileSync("psql", [pgUrl, "-q", "-c", "drop table if exists tollgate_bench_hot"]);
  return result;
}

/**
 * A checkpoint, before a timed measurement, so that none pays for writing out the pages the one
 * before it dirtied.
 */
export function checkpoint(url = pgUrl) {
  execFileSync("psql", [url, "-q", "-c", "checkpoint"], { stdio: "pipe" });
}

/** A fresh, uniquely named database on the benchmark Postgres, and how to drop it. */
export async function freshDatabase() {
  const name = `tollgate_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
