// bench/ingest: accepted usage events per second, 1,000-event batches over 100 customers and 3
// meters, through the application layer (in-process) and through the gRPC port, beside bare
// Postgres loading the very same rows into a table of the same shape and indexes: COPY, and
// INSERT in 500-row statements. Also: the CPU a replay of already-recorded batches costs
// (every event a DUPLICATE) against their first ingestion.
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { CachedCatalogRepository } from "../dist/src/adapters/postgres/catalog-cache.js";
import { LocalCatalogChangeFeed } from "../dist/src/adapters/postgres/catalog-change-feed.js";
import { PostgresCatalogRepository } from "../dist/src/adapters/postgres/catalog-repository.js";
import { migrateToLatest, openDatabase } from "../dist/src/adapters/postgres/database.js";
import { PostgresTenantRepository } from "../dist/src/adapters/postgres/tenant-repository.js";
import { PostgresUsageLog } from "../dist/src/adapters/postgres/usage-log.js";
import { WalletChanges } from "../dist/src/adapters/postgres/wallet-change-feed.js";
import { jsonbEncodingFor } from "../dist/src/adapters/postgres/jsonb-param.js";
import { PostgresWalletStore } from "../dist/src/adapters/postgres/wallet-store.js";
import { CryptoIds } from "../dist/src/adapters/system/crypto-ids.js";
import { Sha256SecretHasher } from "../dist/src/adapters/system/sha256-secret-hasher.js";
import { Sha256UsageLogHasher } from "../dist/src/adapters/system/sha256-usage-log-hasher.js";
import { CreateCustomer } from "../dist/src/application/catalog/create-customer.js";
import { CreatePlan } from "../dist/src/application/catalog/create-plan.js";
import { DefineMeter } from "../dist/src/application/catalog/define-meter.js";
import { DefineModel } from "../dist/src/application/catalog/define-model.js";
import { PublishPlanVersion } from "../dist/src/application/catalog/publish-plan-version.js";
import { FormulaCache } from "../dist/src/application/rating/formula-cache.js";
import { InFlightIds } from "../dist/src/application/rating/in-flight-ids.js";
import { IngestUsage } from "../dist/src/application/rating/ingest-usage.js";
import { IngestionGate } from "../dist/src/application/rating/ingestion-gate.js";
import { loadConfig } from "../dist/src/config.js";
import { CreateTenant } from "../dist/src/application/tenants/create-tenant.js";
import { WalletWriter } from "../dist/src/application/wallet/wallet-writer.js";
import { checkpoint, freshDatabase } from "./lib/pgbench.mjs";
import { median } from "./lib/median.mjs";
import { nodeCpuSeconds, postgresCpu, postgresCpuSince } from "./lib/cpu.mjs";
import { startServer } from "./lib/server.mjs";

const clock = { now: () => new Date() };
const customers = 100;
const batchSize = 1000;
const meters = ["input_tokens", "output_tokens", "cached_input_tokens"];
const progress = (what) => process.stderr.write(`[bench/ingest ${new Date().toISOString().slice(11, 19)}] ${what}\n`);

/** A batch of 1,000 events: 10 per customer, three meters with varied token counts. */
function batch(prefix, n) {
  const events = [];
  for (let i = 0; i < batchSize; i++) {
    const c = i % customers;
    events.push({
      eventId: `${prefix}-${n}-${i}`,
      customerId: `cus-${c}`,
      model: "gpt-4o",
      occurredAt: undefined,
      quantities: { input_tokens: String(100 + ((i * 37) % 4000)), output_tokens: String(10 + ((i * 13) % 900)), cached_input_tokens: String((i * 7) % 500) },
      attributes: {},
    });
  }
  return events;
}

async function setUp(db) {
  const catalog = new CachedCatalogRepository(new PostgresCatalogRepository(db), new LocalCatalogChangeFeed());
  const created = await new CreateTenant(new PostgresTenantRepository(db), new Sha256SecretHasher(), new CryptoIds(), clock).execute("bench");
  const tenantId = created.value.tenant.id;
  for (const key of meters) await new DefineMeter(catalog, clock).execute(tenantId, { key, displayName: key, unit: "token" });
  await new DefineModel(catalog, clock).execute(tenantId, {
    key: "gpt-4o",
    vendor: "openai",
    displayName: "GPT-4o",
    tags: [],
    cost: { expression: "input_tokens * rate_in + output_tokens * rate_out + cached_input_tokens * rate_cached", rates: { rate_in: "0.0000025", rate_out: "0.00001", rate_cached: "0.00000125" } },
    currency: "USD",
    effectiveFrom: new Date(Date.now() - 86_400_000),
  });
  await new CreatePlan(catalog, clock).execute(tenantId, { key: "pro", displayName: "Pro", currency: "USD" });
  await new PublishPlanVersion(catalog, clock).execute(tenantId, "pro", {
    effectiveFrom: new Date(Date.now() - 86_400_000),
    prices: [{ model: "gpt-4o", formula: { expression: "max(cost * 1.3, 0.0001)", rates: {} } }],
    recurringFee: undefined,
    interval: undefined,
    includedCredit: undefined,
    overageLimit: { amount: "1000000", currency: "USD" },
    trialCredit: undefined,
    routing: undefined,
  });
  await createCustomers(catalog, tenantId);
  return { catalog, tenantId, apiKey: created.value.apiKey };
}

/** Warm-up before timed rounds: five seconds, or the whole round when rounds are shorter. */
const warmUpSeconds = (seconds) => Math.min(5, seconds);

/** Runs batches with `concurrency` calls in flight for `seconds`; counts accepted events. */
async function drive({ concurrency, seconds, call }) {
  let accepted = 0;
  let calls = 0;
  let stop = false;
  const started = performance.now();
  const worker = async () => {
    while (!stop) {
      // Not `accepted += await …`: that reads `accepted` before the await and loses the other
      // callers' counts.
      const n = await call(calls++);
      accepted += n;
    }
  };
  const timer = setTimeout(() => (stop = true), seconds * 1000);
  await Promise.all(Array.from({ length: concurrency }, worker));
  clearTimeout(timer);
  return { rate: accepted / ((performance.now() - started) / 1000), accepted, calls };
}

const psql = (url, args) => execFileSync("psql", [url, "-q", "-v", "ON_ERROR_STOP=1", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/**
 * The rows a timed run wrote (ids starting with `prefix`), exported once for the baselines: a
 * CSV file for COPY and the same rows as 500-row INSERT statements, each its own transaction,
 * from one session. In the order ingestion wrote them (the table is append-only and has one
 * writer, so its physical order is that order), not sorted by key: loaded in primary-key
 * order, every insert into the primary key lands on its rightmost page, which ingestion's
 * arrival order does not give it, and COPY ran 10% faster that way (docs/BENCHMARKS.md).
 */
function exportRows(url, prefix, rows) {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-ingest-"));
  const file = join(dir, "rows.csv");
  psql(url, ["-c", `\\copy (select * from usage_events where event_id like '${prefix}-%' order by ctid limit ${rows}) to '${file}' csv`]);
  const lines = readFileSync(file, "utf8").trimEnd().split("\n");
  // CSV writes NULL as nothing and the empty string as "".
  const quote = (f) => (f.value === "" && !f.quoted ? "null" : `'${f.value.replace(/'/g, "''")}'`);
  const parseCsv = (line) => {
    const out = [];
    let cur = "";
    let inQuotes = false;
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (inQuotes) {
        if (ch === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (ch === '"') inQuotes = false;
        else cur += ch;
      } else if (ch === '"') inQuotes = quoted = true;
      else if (ch === ",") {
        out.push({ value: cur, quoted });
        cur = "";
        quoted = false;
      } else cur += ch;
    }
    out.push({ value: cur, quoted });
    return out;
  };
  const statements = [];
  for (let i = 0; i < lines.length; i += 500) {
    const values = lines.slice(i, i + 500).map((l) => `(${parseCsv(l).map(quote).join(",")})`);
    statements.push(`insert into bench_usage_insert values ${values.join(",\n")};`);
  }
  const sqlFile = join(dir, "insert.sql");
  writeFileSync(sqlFile, statements.join("\n"));
  return { file, sqlFile, rows: lines.length, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Loads the exported rows into a fresh table of usage_events' shape and indexes, by COPY and by INSERT. */
function baselines(url, exported) {
  psql(url, ["-c", "drop table if exists bench_usage_copy; create table bench_usage_copy (like usage_events including defaults including indexes)"]);
  checkpoint(url);
  let t0 = performance.now();
  psql(url, ["-c", `\\copy bench_usage_copy from '${exported.file}' csv`]);
  const copySeconds = (performance.now() - t0) / 1000;
  psql(url, ["-c", "drop table if exists bench_usage_insert; create table bench_usage_insert (like usage_events including defaults including indexes)"]);
  checkpoint(url);
  t0 = performance.now();
  psql(url, ["-f", exported.sqlFile]);
  const insertSeconds = (performance.now() - t0) / 1000;
  psql(url, ["-c", "drop table bench_usage_copy; drop table bench_usage_insert"]);
  return { copy: { rate: exported.rows / copySeconds, rows: exported.rows }, insert: { rate: exported.rows / insertSeconds, rows: exported.rows } };
}

export async function runIngest({ seconds = 10, repeats = Number(process.env.BENCH_REPEATS ?? 3) } = {}) {
  const db = await freshDatabase();
  const handle = await openDatabase({ kind: "server", url: db.url, poolMax: 4 });
  const results = {};
  try {
    await migrateToLatest(handle.db);
    progress("catalog");
    const { catalog, tenantId } = await setUp(handle.db);
    const hasher = new Sha256UsageLogHasher();
    const log = new PostgresUsageLog(handle.db);
    const store = new PostgresWalletStore(handle.db, false, handle.appendDb, jsonbEncodingFor(handle.kind));
    const writer = new WalletWriter(store, new WalletChanges(pino({ level: "silent" })), clock, {
      snapshotEvery: 100,
      expiryWarningLeadMs: 86_400_000,
      batchMax: 1000,
      cachedWalletsMax: 100_000,
    }, hasher);
    const ingest = new IngestUsage(catalog, new FormulaCache(), log, hasher, writer, new InFlightIds(), new IngestionGate(loadConfig({}).ingestEventsInProgressMax), clock, { latenessMs: 35 * 86_400_000, futureSkewMs: 300_000 });
    const accepted = (outcomes) => outcomes.filter((o) => o.status === "ACCEPTED").length;
    const run = async (prefix, n) => {
      const r = await ingest.execute(tenantId, batch(prefix, n));
      if (!r.ok) throw new Error(JSON.stringify(r.error));
      return r.value;
    };

    // Warmed up with the same load for a few seconds, not one call: after a single call the
    // first timed round still paid for V8 compiling the hot paths and the heap growing to its
    // working size (Node 30-41 µs an event in a first round against 26-33 in the second, nine
    // processes; 25-37 against 25-35 after this warm-up), a start-up cost that a running
    // service and the COPY baseline do not have.
    progress("in-process warm-up");
    await drive({ concurrency: 4, seconds: warmUpSeconds(seconds), call: async (n) => accepted(await run("warm", n)) });
    // In-process runs interleaved with the COPY and INSERT baselines, `repeats` times, each
    // timed run right after a checkpoint; the median of each is reported, so a ratio compares
    // like moments with like on a machine whose speed drifts. The baselines load the rows the
    // first run wrote.
    const inProcess = [];
    const copies = [];
    const inserts = [];
    let exported;
    try {
      for (let r = 0; r < repeats; r++) {
        progress(`in-process, round ${r + 1} of ${repeats}`);
        checkpoint(db.url);
        const cpuBefore = { node: nodeCpuSeconds(), pg: postgresCpu() };
        // Four calls in flight, as a few ingestion workers would send them.
        const prefix = `inproc${r}`;
        const measured = await drive({ concurrency: 4, seconds, call: async (n) => accepted(await run(prefix, n)) });
        measured.nodeCpuUsPerEvent = ((nodeCpuSeconds() - cpuBefore.node) * 1e6) / measured.accepted;
        measured.postgresCpuUsPerEvent = (postgresCpuSince(cpuBefore.pg) * 1e6) / measured.accepted;
        progress(JSON.stringify(measured));
        inProcess.push(measured);
        exported ??= exportRows(db.url, prefix, Math.min(200_000, measured.accepted));
        progress(`baselines (COPY, INSERT), round ${r + 1} of ${repeats}`);
        const b = baselines(db.url, exported);
        progress(JSON.stringify({ copy: b.copy.rate, insert: b.insert.rate }));
        copies.push(b.copy);
        inserts.push(b.insert);
      }
    } finally {
      exported?.remove();
    }
    // Also each round's in-process rate against the COPY right after it: how far the ratio
    // moves with the machine's speed within one run.
    results["in-process"] = { ...median(inProcess), repeats, roundRatios: inProcess.map((m, i) => m.rate / copies[i].rate) };
    results["baseline copy"] = { ...median(copies), repeats };
    results["baseline insert"] = { ...median(inserts), repeats };

    // Each replay measurement is only a second or so of CPU, so it is taken `repeats` times, on
    // fresh events each time, and the median by ratio reported, like the rows above.
    const replayBatches = 10;
    const replays = [];
    for (let r = 0; r < repeats; r++) {
      progress(`duplicate replay, round ${r + 1} of ${repeats}`);
      let node0 = nodeCpuSeconds();
      let pg0 = postgresCpu();
      for (let n = 0; n < replayBatches; n++) await run(`replay${r}`, n);
      const firstCpu = nodeCpuSeconds() - node0 + postgresCpuSince(pg0);
      node0 = nodeCpuSeconds();
      pg0 = postgresCpu();
      for (let n = 0; n < replayBatches; n++) {
        const outcomes = await run(`replay${r}`, n);
        if (outcomes.some((o) => o.status !== "DUPLICATE")) throw new Error("a replayed event was not a duplicate");
      }
      const replayCpu = nodeCpuSeconds() - node0 + postgresCpuSince(pg0);
      replays.push({ firstCpuSeconds: firstCpu, replayCpuSeconds: replayCpu, events: replayBatches * batchSize, ratio: replayCpu / firstCpu });
    }
    results["duplicate replay"] = { ...median(replays, (x) => x.ratio), ratios: replays.map((x) => x.ratio), repeats };

    progress("gRPC");
    const apiKey = (await new CreateTenant(new PostgresTenantRepository(handle.db), new Sha256SecretHasher(), new CryptoIds(), clock).execute("bench-grpc")).value.apiKey;
    const grpcTenant = (await new PostgresTenantRepository(handle.db).findTenantByName("bench-grpc")).id;
    await copyCatalog(catalog, tenantId, grpcTenant);
    const server = await startServer({ DATABASE_URL: db.url });
    try {
      const definition = loadSync("tollgate/v1/rating.proto", { includeDirs: ["proto"], keepCase: true, defaults: true, enums: String });
      const { RatingService } = grpc.loadPackageDefinition(definition).tollgate.v1;
      const client = new RatingService(server.grpcAddress, grpc.credentials.createInsecure(), { "grpc.max_send_message_length": 64 * 1024 * 1024, "grpc.max_receive_message_length": 64 * 1024 * 1024 });
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${apiKey}`);
      const toWire = (e) => ({ event_id: e.eventId, customer_id: e.customerId, model: e.model, quantities: e.quantities });
      const call = (n) =>
        new Promise((resolve, reject) =>
          client.IngestUsage({ events: batch("grpc", n).map(toWire) }, metadata, (error, response) =>
            error ? reject(error) : resolve(response.results.filter((r) => r.status === "INGEST_STATUS_ACCEPTED").length),
          ),
        );
      // The server process warmed up the same way (it answers the warm-up's events too).
      await drive({ concurrency: 4, seconds: warmUpSeconds(seconds), call: (n) => call(-1 - n) });
      checkpoint(db.url);
      results["gRPC"] = await drive({ concurrency: 4, seconds, call });
      progress(JSON.stringify(results["gRPC"]));
      client.close();
    } finally {
      await server.stop();
    }

  } finally {
    await handle.close();
    await db.drop();
  }
  return results;
}

/** The customers every batch spreads over, on plan "pro" since yesterday. */
async function createCustomers(catalog, tenantId) {
  for (let c = 0; c < customers; c++) {
    await new CreateCustomer(catalog, clock).execute(tenantId, {
      customerId: `cus-${c}`,
      displayName: "",
      planKey: "pro",
      startedAt: new Date(Date.now() - 86_400_000),
      trialEndsAt: undefined,
      fingerprint: "",
      limits: undefined,
    });
  }
}

/** The gRPC tenant gets the same catalog (meters, model, plan, customers) as the in-process one. */
async function copyCatalog(catalog, from, to) {
  for (const m of await catalog.listMeters(from)) await new DefineMeter(catalog, clock).execute(to, { key: m.key, displayName: m.displayName, unit: m.unit });
  for (const m of await catalog.listModels(from)) {
    const v = m.costVersions[0];
    await new DefineModel(catalog, clock).execute(to, { key: m.key, vendor: m.vendor, displayName: m.displayName, tags: [], cost: v.cost, currency: v.currency, effectiveFrom: v.effectiveFrom });
  }
  for (const p of await catalog.listPlans(from)) {
    await new CreatePlan(catalog, clock).execute(to, { key: p.key, displayName: p.displayName, currency: p.currency });
    const v = p.versions[0];
    await new PublishPlanVersion(catalog, clock).execute(to, p.key, {
      effectiveFrom: v.effectiveFrom,
      prices: v.prices,
      recurringFee: undefined,
      interval: undefined,
      includedCredit: undefined,
      overageLimit: { amount: v.overageLimit.toString(), currency: p.currency },
      trialCredit: undefined,
      routing: undefined,
    });
  }
  await createCustomers(catalog, to);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runIngest({ seconds: Number(process.env.BENCH_SECONDS ?? 10) }), null, 2));
}
