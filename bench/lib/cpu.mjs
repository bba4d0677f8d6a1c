// CPU time by process, read from /proc: what each side of a benchmark (load generator, server,
// Postgres) spent per unit of work, so a rate can be read against where its cost went.
import { readdirSync, readFileSync } from "node:fs";

/** User + system CPU seconds of process `pid` (all its threads), from /proc/<pid>/stat. */
export function processCpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** This process's user + system CPU seconds. */
export const nodeCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** CPU seconds used so far by each Postgres server process, by pid (the bench owns this machine). */
export function postgresCpu() {
  const byPid = new Map();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const name = /\(([^)]*)\)/.exec(stat)?.[1] ?? "";
      if (!name.startsWith("postgres")) continue;
      byPid.set(pid, processCpuSeconds(pid));
    } catch {
      // the process ended meanwhile
    }
  }
  return byPid;
}

/**
 * Postgres CPU seconds spent since `before`, by the processes alive now: one that ended
 * meanwhile (a psql session's backend still exiting when `before` was taken) would otherwise
 * subtract its whole life from the total.
 */
export function postgresCpuSince(before) {
  let seconds = 0;
  for (const [pid, used] of postgresCpu()) seconds += used - (before.get(pid) ?? 0);
  return seconds;
}
