// bench/authorize: Authorize+Commit pairs per second on ONE hot wallet, in-process (the
// application layer) and through the gRPC port with 64 concurrent grpc-js callers; Health.Check
// on the same port (the RPC stack alone); pgbench's conditional UPDATE of one hot row; and the
// Authorize p99 at 80% of the measured gRPC peak (open loop). All in the same run, same Postgres.
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
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
import { AnswerCache } from "../dist/src/application/authorization/answer-cache.js";
import { Authorize } from "../dist/src/application/authorization/authorize.js";
import { Commit } from "../dist/src/application/authorization/commit.js";
import { KeyedLock } from "../dist/src/application/authorization/keyed-lock.js";
import { RateLimiter } from "../dist/src/application/authorization/rate-limiter.js";
import { TrialGroups } from "../dist/src/application/authorization/trial-groups.js";
import { CreateCustomer } from "../dist/src/application/catalog/create-customer.js";
import { CreatePlan } from "../dist/src/application/catalog/create-plan.js";
import { DefineMeter } from "../dist/src/application/catalog/define-meter.js";
import { DefineModel } from "../dist/src/application/catalog/define-model.js";
import { PublishPlanVersion } from "../dist/src/application/catalog/publish-plan-version.js";
import { FormulaCache } from "../dist/src/application/rating/formula-cache.js";
import { CreateTenant } from "../dist/src/application/tenants/create-tenant.js";
import { GrantCredits } from "../dist/src/application/wallet/grant-credits.js";
import { WalletWriter } from "../dist/src/application/wallet/wallet-writer.js";
import { closedLoop, openLoop } from "./lib/load.mjs";
import { nodeCpuSeconds, postgresCpu, postgresCpuSince, processCpuSeconds } from "./lib/cpu.mjs";
import { median } from "./lib/median.mjs";
import { checkpoint, freshDatabase, pgbenchHotRow } from "./lib/pgbench.mjs";
import { startServer } from "./lib/server.mjs";

const clock = { now: () => new Date() };
const progress = (what) => process.stderr.write(`[bench/authorize ${new Date().toISOString().slice(11, 19)}] ${what}\n`);

/** One tenant with GPT-4o at list price plus 25%, and a customer with plenty of credits. */
async function setUpTenant(db, catalog, name) {
  const created = await new CreateTenant(new PostgresTenantRepository(db), new Sha256SecretHasher(), new CryptoIds(), clock).execute(name);
  const tenantId = created.value.tenant.id;
  const since = new Date(Date.now() - 86_400_000);
  for (const key of ["input_tokens", "output_tokens"]) await new DefineMeter(catalog, clock).execute(tenantId, { key, displayName: key, unit: "token" });
  await new DefineModel(catalog, clock).execute(tenantId, {
    key: "gpt-4o",
    vendor: "openai",
    displayName: "GPT-4o",
    tags: [],
    cost: { expression: "input_tokens * rate_in + output_tokens * rate_out", rates: { rate_in: "0.0000025", rate_out: "0.00001" } },
    currency: "USD",
    effectiveFrom: since,
  });
  await new CreatePlan(catalog, clock).execute(tenantId, { key: "pro", displayName: "Pro", currency: "USD" });
  await new PublishPlanVersion(catalog, clock).execute(tenantId, "pro", {
    effectiveFrom: since,
    prices: [{ model: "gpt-4o", formula: { expression: "cost * 1.25", rates: {} } }],
    recurringFee: undefined,
    interval: undefined,
    includedCredit: undefined,
    overageLimit: undefined,
    trialCredit: undefined,
    routing: undefined,
  });
  await new CreateCustomer(catalog, clock).execute(tenantId, { customerId: "hot", displayName: "", planKey: "pro", startedAt: since, trialEndsAt: undefined, fingerprint: "", limits: undefined });
  return { tenantId, apiKey: created.value.apiKey };
}

const estimate = { input_tokens: "1000", output_tokens: "500" };
const actual = { input_tokens: "800", output_tokens: "300" };

/**
 * A closed-loop measurement with the CPU each side spent per call: this process (the load
 * generator, or the use cases themselves in-process), the server process when there is one,
 * and Postgres. CPU is counted over the whole run, warm-up included, against every call made.
 */
async function measured({ concurrency, seconds, call, serverPid }) {
  let calls = 0;
  const counted = async () => {
    await call();
    calls++;
  };
  // Under `npm run bench` (node --expose-gc): start from a collected heap, so no run pays for
  // the garbage of the one before it.
  globalThis.gc?.();
  const before = { node: nodeCpuSeconds(), server: serverPid === undefined ? 0 : processCpuSeconds(serverPid), pg: postgresCpu() };
  const result = await closedLoop({ concurrency, seconds, call: counted });
  const perCall = (cpuSeconds) => (cpuSeconds * 1e6) / calls;
  result.clientCpuUs = perCall(nodeCpuSeconds() - before.node);
  if (serverPid !== undefined) result.serverCpuUs = perCall(processCpuSeconds(serverPid) - before.server);
  result.postgresCpuUs = perCall(postgresCpuSince(before.pg));
  return result;
}

/** Authorize then Commit of the same estimate and usage, through `authorize`/`commit` in this process. */
function inProcessPair({ catalog, writer, store, usageLog, hasher, tenantId, nextId }) {
  const formulas = new FormulaCache();
  const nowMs = () => Date.now();
  const authorize = new Authorize(catalog, formulas, writer, store, new RateLimiter(nowMs), new AnswerCache(nowMs, 900_000, 100_000), new TrialGroups(catalog, writer, new KeyedLock()), clock);
  const commit = new Commit(catalog, formulas, usageLog, hasher, writer, store, clock, { latenessMs: 35 * 86_400_000, futureSkewMs: 300_000 });
  return async () => {
    const n = nextId();
    const a = await authorize.execute(tenantId, { requestId: `r${n}`, customerId: "hot", model: "gpt-4o", estimatedQuantities: estimate, maxCharge: undefined, ttlMs: undefined, candidateModels: [], attributes: {} });
    if (!a.ok || a.value.decision !== "ALLOW") throw new Error(`authorize: ${JSON.stringify(a.ok ? a.value.message : a.error)}`);
    const c = await commit.execute(tenantId, { reservationId: a.value.reservationId, eventId: `e${n}`, quantities: actual, occurredAt: undefined, attributes: {} });
    if (!c.ok) throw new Error(`commit: ${JSON.stringify(c.error)}`);
  };
}

export async function runAuthorize({ seconds = 10, repeats = Number(process.env.BENCH_REPEATS ?? 3) } = {}) {
  const db = await freshDatabase();
  const handle = await openDatabase({ kind: "server", url: db.url, poolMax: 4 });
  const results = {};
  try {
    await migrateToLatest(handle.db);
    const catalog = new CachedCatalogRepository(new PostgresCatalogRepository(handle.db), new LocalCatalogChangeFeed());
    const hasher = new Sha256UsageLogHasher();
    const store = new PostgresWalletStore(handle.db, false, handle.appendDb, jsonbEncodingFor(handle.kind));
    const usageLog = new PostgresUsageLog(handle.db);
    const newWriter = () => new WalletWriter(store, new WalletChanges(pino({ level: "silent" })), clock, { snapshotEvery: 100, expiryWarningLeadMs: 86_400_000, batchMax: 1000, cachedWalletsMax: 100_000 }, hasher);
    let seq = 0;
    const nextId = () => ++seq;

    progress("in-process setup");
    const inproc = await setUpTenant(handle.db, catalog, "bench-inproc");
    const setupWriter = newWriter();
    await new GrantCredits(catalog, setupWriter, clock).execute(inproc.tenantId, {
      customerId: "hot",
      grantId: "plenty",
      amount: { amount: "100000000", currency: "USD" },
      source: "PURCHASE",
      expiresAt: undefined,
      priority: 0,
      reference: "",
    });

    progress("gRPC setup");
    const remote = await setUpTenant(handle.db, catalog, "bench-grpc");
    const server = await startServer({ DATABASE_URL: db.url });
    try {
      const definition = loadSync(["tollgate/v1/authorization.proto", "tollgate/v1/wallet.proto", "grpc/health/v1/health.proto"], { includeDirs: ["proto", "third_party/proto"], keepCase: true, enums: String, defaults: true });
      const pkg = grpc.loadPackageDefinition(definition);
      const options = { "grpc.max_receive_message_length": 16 * 1024 * 1024 };
      const authz = new pkg.tollgate.v1.AuthorizationService(server.grpcAddress, grpc.credentials.createInsecure(), options);
      const wallet = new pkg.tollgate.v1.WalletService(server.grpcAddress, grpc.credentials.createInsecure(), options);
      const health = new pkg.grpc.health.v1.Health(server.grpcAddress, grpc.credentials.createInsecure());
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${remote.apiKey}`);
      const unary = (client, method, request) => new Promise((resolve, reject) => client[method](request, metadata, (e, r) => (e ? reject(e) : resolve(r))));
      await unary(wallet, "GrantCredits", { customer_id: "hot", grant_id: "plenty", amount: { amount: "100000000", currency: "USD" }, source: "GRANT_SOURCE_PURCHASE" });
      let authorizeLatencies = [];
      const remotePair = async () => {
        const n = nextId();
        const t0 = performance.now();
        const a = await unary(authz, "Authorize", { request_id: `g${n}`, customer_id: "hot", model: "gpt-4o", estimated_quantities: estimate });
        authorizeLatencies.push(performance.now() - t0);
        if (a.decision !== "DECISION_ALLOW") throw new Error(a.message);
        await unary(authz, "Commit", { reservation_id: a.reservation_id, event_id: `ge${n}`, quantities: actual });
      };
      const check = () => new Promise((resolve, reject) => health.Check({ service: "" }, (e, r) => (e ? reject(e) : resolve(r))));
      await check();
      await remotePair();

      // Every measurement `repeats` times, interleaved with the others and each right after a
      // checkpoint; the median of each is reported, so a ratio compares like moments with like
      // on a machine whose speed drifts (single runs of the same build were seen 40% apart).
      // Each in-process round gets its own use cases (answer cache, wallet writer), so what one
      // round leaves in this process's heap is garbage for the load generator of the next, not
      // live data it has to trace.
      const rounds = { pgbench: [], echo: [], grpc: [], inProcess: [] };
      for (let r = 0; r < repeats; r++) {
        progress(`round ${r + 1} of ${repeats}: pgbench`);
        checkpoint(db.url);
        rounds.pgbench.push(pgbenchHotRow(seconds));
        progress(`round ${r + 1} of ${repeats}: gRPC echo`);
        checkpoint(db.url);
        rounds.echo.push(await measured({ concurrency: 64, seconds, call: check, serverPid: server.pid }));
        progress(`round ${r + 1} of ${repeats}: gRPC pairs`);
        checkpoint(db.url);
        rounds.grpc.push(await measured({ concurrency: 64, seconds, call: remotePair, serverPid: server.pid }));
        progress(`round ${r + 1} of ${repeats}: in-process pairs`);
        checkpoint(db.url);
        rounds.inProcess.push(await measured({ concurrency: 64, seconds, call: inProcessPair({ catalog, writer: newWriter(), store, usageLog, hasher, tenantId: inproc.tenantId, nextId }) }));
      }
      results["in-process, 64 callers"] = { ...median(rounds.inProcess), repeats };
      results["Health.Check, gRPC port, 64 callers"] = { ...median(rounds.echo), repeats };
      results["gRPC, 64 callers"] = { ...median(rounds.grpc), repeats };
      results["pgbench hot-row conditional UPDATE (16 clients)"] = { ...median(rounds.pgbench), repeats };

      progress("gRPC at 80% of peak (open loop)");
      const target = 0.8 * results["gRPC, 64 callers"].rate;
      authorizeLatencies = [];
      checkpoint(db.url);
      results["gRPC at 80% of peak"] = { ...(await openLoop({ rate: target, seconds, call: remotePair })), target };
      authorizeLatencies.sort((x, y) => x - y);
      const pct = (p) => authorizeLatencies[Math.min(authorizeLatencies.length - 1, Math.floor((p / 100) * authorizeLatencies.length))] ?? NaN;
      results["gRPC at 80% of peak"].authorizeP50Ms = pct(50);
      results["gRPC at 80% of peak"].authorizeP99Ms = pct(99);
      for (const c of [authz, wallet, health]) c.close();
    } finally {
      await server.stop();
    }
  } finally {
    await handle.close();
    await db.drop();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await runAuthorize({ seconds: Number(process.env.BENCH_SECONDS ?? 10) }), null, 2));
}
