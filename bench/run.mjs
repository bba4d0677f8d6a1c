// `npm run bench`: runs every benchmark against the built server and the local Postgres, and
// writes the results, as ratios to the baselines measured in the same run, into
// docs/BENCHMARKS.md between the markers of each section.
import { execSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { readFileSync, writeFileSync } from "node:fs";
import { runEcho } from "./echo.mjs";
import { runWallet } from "./wallet.mjs";
import { runIngest } from "./ingest.mjs";
import { runAuthorize } from "./authorize.mjs";

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const only = process.argv.slice(2);
const want = (name) => only.length === 0 || only.includes(name);

function machine() {
  const commit = (() => {
    try {
      return execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  })();
  const pgVersion = (() => {
    try {
      return execSync(`psql "${process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"}" -Atc "show server_version"`, { encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  })();
  return `${new Date().toISOString().slice(0, 10)}, commit ${commit}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Postgres ${pgVersion}, ${seconds} s per measurement`;
}

const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "n/a");

function replaceSection(doc, name, body) {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i < 0 || j < 0) return `${doc.trimEnd()}\n\n${start}\n${body}\n${end}\n`;
  return `${doc.slice(0, i + start.length)}\n${body}\n${doc.slice(j)}`;
}

const path = new URL("../docs/BENCHMARKS.md", import.meta.url);
let doc = readFileSync(path, "utf8");
const when = machine();

if (want("echo")) {
  const r = await runEcho({ seconds });
  const pg = r["pgbench select 1 (16 clients)"];
  const rows = Object.entries(r)
    .filter(([k]) => !k.startsWith("pgbench"))
    .map(([k, v]) => `| Health.Check, ${k}, 64 callers | ${fmt(v.rate)} calls/s | ${fmt(v.p50Ms, 1)} / ${fmt(v.p99Ms, 1)} ms | ${fmt(v.rate / pg.tps, 3)} |`);
  const table = [
    `Measured ${when}.`,
    "",
    "| what | rate | p50 / p99 | ratio to pgbench `select 1` |",
    "|---|---|---|---|",
    ...rows,
    `| pgbench \`select 1\`, 16 clients (baseline) | ${fmt(pg.tps)} tx/s | avg ${fmt(pg.latencyAvgMs, 2)} ms | 1 |`,
  ].join("\n");
  doc = replaceSection(doc, "echo", table);
  console.log(table);
}

if (want("wallet")) {
  const r = await runWallet({ seconds });
  const pg = r["pgbench hot-row conditional UPDATE (16 clients)"];
  const pair = (name) => {
    const v = r[name];
    const reserveLatency = v.reserveP99Ms === undefined ? "" : `; ${fmt(v.reserveP50Ms, 1)} / ${fmt(v.reserveP99Ms, 1)} ms per reservation`;
    return `| ${name}, reserve+settle pairs | ${fmt(v.rate)} pairs/s (${fmt(v.rate * 2)} commands/s) | ${fmt(v.p50Ms, 1)} / ${fmt(v.p99Ms, 1)} ms per pair${reserveLatency} | ${fmt(v.rate / pg.tps, 2)} (commands: ${fmt((2 * v.rate) / pg.tps, 2)}) |`;
  };
  const held = (concurrency) => {
    const v = r[`hot wallet, reservations, ${concurrency} callers`];
    return `| hot wallet, reservations only, ${concurrency} callers | ${fmt(v.rate)} reservations/s | ${fmt(v.p50Ms, 1)} / ${fmt(v.p99Ms, 1)} ms per reservation | ${fmt(v.rate / pg.tps, 2)} |`;
  };
  const uniform = r["10k wallets, uniform, 256 callers"].rate;
  const skewed = r["10k wallets, Zipf(1), 256 callers"].rate;
  const table = [
    `Measured ${when}.`,
    "",
    "| what | rate | p50 / p99 | ratio to pgbench (reservations or pairs per transaction) |",
    "|---|---|---|---|",
    held(64),
    held(256),
    pair("hot wallet, 64 callers"),
    pair("hot wallet, 256 callers"),
    pair("10k wallets, uniform, 256 callers"),
    pair("10k wallets, Zipf(1), 256 callers"),
    `| pgbench conditional UPDATE of one hot row, 16 clients (baseline) | ${fmt(pg.tps)} tx/s | avg ${fmt(pg.latencyAvgMs, 2)} ms | 1 |`,
    "",
    `Each row and the pgbench baseline: the median (by rate) of ${pg.repeats ?? 1} runs, interleaved with the others.`,
    "",
    `Skewed vs uniform (Zipf / uniform pairs/s): **${fmt(skewed / uniform, 2)}** (goal ≥ 0.9).`,
    "",
    `Loading a wallet (snapshot + tail, no cache): 10 events ${fmt(r["load, 10 events"].ms, 2)} ms, 100k events ${fmt(r["load, 100k events"].ms, 2)} ms: **${fmt(r["load, 100k events"].ms / r["load, 10 events"].ms, 2)}x** (goal ≤ 2x).`,
  ].join("\n");
  doc = replaceSection(doc, "wallet", table);
  console.log(table);
}

if (want("ingest")) {
  const r = await runIngest({ seconds });
  const copy = r["baseline copy"];
  const insert = r["baseline insert"];
  const dup = r["duplicate replay"];
  const table = [
    `Measured ${when}.`,
    "",
    "| what | accepted events/s | ratio |",
    "|---|---|---|",
    `| IngestUsage in-process (application layer), 4 calls in flight | ${fmt(r["in-process"].rate)} | ${fmt(r["in-process"].rate / copy.rate, 2)} of COPY (goal ≥ 0.5) |`,
    `| IngestUsage over gRPC, 4 calls in flight | ${fmt(r["gRPC"].rate)} | ${fmt(r["gRPC"].rate / insert.rate, 2)} of 500-row INSERT (goal ≥ 0.3) |`,
    `| baseline: COPY of the same rows into a table of the same shape and indexes | ${fmt(copy.rate)} | 1 |`,
    `| baseline: the same rows as 500-row INSERT statements | ${fmt(insert.rate)} | 1 |`,
    "",
    `CPU per event in-process: Node ${fmt(r["in-process"].nodeCpuUsPerEvent)} µs, Postgres ${fmt(r["in-process"].postgresCpuUsPerEvent)} µs.`,
    "",
    `In-process, COPY and INSERT: the median (by rate) of ${r["in-process"].repeats} runs each, interleaved, each after a checkpoint. Each in-process run against the COPY that followed it: ${r["in-process"].roundRatios.map((x) => fmt(x, 2)).join(", ")}.`,
    "",
    `Replaying ${fmt(dup.events)} already-recorded events (all DUPLICATE) cost ${fmt(dup.replayCpuSeconds, 2)} CPU-s against ${fmt(dup.firstCpuSeconds, 2)} CPU-s to ingest them first (Node and Postgres): **${fmt(dup.ratio, 2)}x** (goal ≤ 0.6); the median of ${dup.repeats} runs on fresh events, which gave ${dup.ratios.map((x) => `${fmt(x, 2)}x`).join(", ")}.`,
  ].join("\n");
  doc = replaceSection(doc, "ingest", table);
  console.log(table);
}

if (want("authorize")) {
  const r = await runAuthorize({ seconds });
  const pg = r["pgbench hot-row conditional UPDATE (16 clients)"];
  const echo = r["Health.Check, gRPC port, 64 callers"];
  const grpcPairs = r["gRPC, 64 callers"];
  const inproc = r["in-process, 64 callers"];
  const at80 = r["gRPC at 80% of peak"];
  const cpu = (v, unit) =>
    `${v.serverCpuUs === undefined ? `${fmt(v.clientCpuUs)} µs Node` : `${fmt(v.clientCpuUs)} µs client, ${fmt(v.serverCpuUs)} µs server`}, ${fmt(v.postgresCpuUs)} µs Postgres per ${unit}`;
  const table = [
    `Measured ${when}.`,
    "",
    "| what | rate | p50 / p99 | CPU | ratio |",
    "|---|---|---|---|---|",
    `| Authorize+Commit pairs, in-process, 64 callers | ${fmt(inproc.rate)} pairs/s | ${fmt(inproc.p50Ms, 1)} / ${fmt(inproc.p99Ms, 1)} ms per pair | ${cpu(inproc, "pair")} | ${fmt(inproc.rate / pg.tps, 2)} of pgbench |`,
    `| Authorize+Commit pairs over gRPC, 64 callers | ${fmt(grpcPairs.rate)} pairs/s (${fmt(grpcPairs.rate * 2)} RPCs/s) | ${fmt(grpcPairs.p50Ms, 1)} / ${fmt(grpcPairs.p99Ms, 1)} ms per pair | ${cpu(grpcPairs, "pair")} | ${fmt(grpcPairs.rate / pg.tps, 2)} of pgbench; RPCs ${fmt((grpcPairs.rate * 2) / echo.rate, 2)} of echo |`,
    `| Health.Check on the same gRPC port, 64 callers (echo) | ${fmt(echo.rate)} calls/s | ${fmt(echo.p50Ms, 1)} / ${fmt(echo.p99Ms, 1)} ms | ${cpu(echo, "call")} | 1 |`,
    `| pgbench conditional UPDATE of one hot row, 16 clients | ${fmt(pg.tps)} tx/s | avg ${fmt(pg.latencyAvgMs, 2)} ms | | 1 |`,
    "",
    `Each closed-loop figure and pgbench: the median (by rate) of ${inproc.repeats} runs, interleaved, each after a checkpoint. CPU per call is counted over each whole run, warm-up included; "client" is the bench process (the grpc-js callers), "Node" the bench process running the use cases.`,
    "",
    `At 80% of the gRPC peak (${fmt(at80.target)} pairs/s offered, open loop; ${fmt(at80.rate)} served): Authorize p50 ${fmt(at80.authorizeP50Ms, 1)} ms, **p99 ${fmt(at80.authorizeP99Ms, 1)} ms** (goal < 10 ms).`,
    "",
    // Ceilings from this run's own figures: what no change to the application work can exceed.
    `Ceilings from the same run: two echo calls per pair allow at most ${fmt(echo.rate / 2)} pairs/s over gRPC, ${fmt(echo.rate / 2 / pg.tps, 2)} of pgbench, before any work is done; one Postgres backend applies the hot wallet's appends one after another, so at ${fmt(inproc.postgresCpuUs)} µs of Postgres CPU per pair in-process pairs cannot pass about ${fmt(1e6 / inproc.postgresCpuUs)} pairs/s, ${fmt(1e6 / inproc.postgresCpuUs / pg.tps, 2)} of pgbench.`,
  ].join("\n");
  doc = replaceSection(doc, "authorize", table);
  console.log(table);
}

writeFileSync(path, doc);
