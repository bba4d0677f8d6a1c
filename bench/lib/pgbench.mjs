// The bare-Postgres baseline, measured in the same run on the same server with pgbench.
import { execFileSync } from "node:child_process";
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
