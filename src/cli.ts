#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { migrateToLatest, openDatabase } from "./adapters/postgres/database.js";
import { PostgresTenantRepository } from "./adapters/postgres/tenant-repository.js";
import { CryptoIds } from "./adapters/system/crypto-ids.js";
import { Sha256SecretHasher } from "./adapters/system/sha256-secret-hasher.js";
import { SystemClock } from "./adapters/system/system-clock.js";
import { CreateTenant } from "./application/tenants/create-tenant.js";
import { apiKeyFile } from "./bootstrap.js";
import { ConfigError, inMemoryDataDir, loadConfig, type Config } from "./config.js";
import { loadDemoCatalog } from "./demo.js";
import { PostgresUsageLog } from "./adapters/postgres/usage-log.js";
import { Sha256UsageLogHasher } from "./adapters/system/sha256-usage-log-hasher.js";
import { VerifyEventLog } from "./application/rating/verify-event-log.js";
import { startTollgate } from "./main.js";

const usage = `Usage: tollgate <command>

Commands:
  serve                        run the server (gRPC on TOLLGATE_GRPC_PORT, Connect/gRPC-Web on TOLLGATE_HTTP_PORT)
  migrate                      apply database migrations and exit
  tenant create <name> [--json] create a tenant and print its API key (shown once)
  demo [--url URL] [--api-key KEY]
                               load a demo catalog (meters, real model list prices, a plan) through
                               the API of a running server; the key defaults to TOLLGATE_API_KEY or
                               <data dir>/api-key
  verify-log [--tenant ID] [--json]
                               recompute the usage event log's hash chains (every tenant, or one)
                               and report the first broken link; exit 1 when one is broken

Environment: DATABASE_URL (server Postgres; unset = embedded Postgres in TOLLGATE_DATA_DIR, default ./data),
TOLLGATE_GRPC_PORT (50051), TOLLGATE_HTTP_PORT (8080), TOLLGATE_HOST (0.0.0.0), TOLLGATE_LOG_LEVEL (info).`;

class UsageError extends Error {}

function openForCommand(config: Config, purpose: string) {
  if (!config.databaseUrl && config.dataDir === inMemoryDataDir) {
    throw new UsageError(`TOLLGATE_DATA_DIR=${inMemoryDataDir} lives inside a server process only; this command needs a data dir or DATABASE_URL`);
  }
  return openDatabase(
    config.databaseUrl
      ? { kind: "server", url: config.databaseUrl, poolMax: 1 }
      : { kind: "embedded", dataDir: config.dataDir, purpose },
  );
}

async function serve(config: Config): Promise<void> {
  const running = await startTollgate(config);
  const host = config.host === "0.0.0.0" ? "localhost" : config.host;
  if (running.bootstrapApiKey) {
    process.stdout.write(
      [
        "",
        "Tollgate is running on a fresh embedded database.",
        `Created tenant "default". Its API key (shown once, also saved to ${apiKeyFile(config.dataDir)}):`,
        "",
        `  ${running.bootstrapApiKey}`,
        "",
        "Try it:",
        `  curl -s -X POST -H 'content-type: application/json' -H "authorization: Bearer $(cat ${apiKeyFile(config.dataDir)})" \\`,
        `    -d '{"key":"input_tokens","displayName":"Input tokens","unit":"token"}' \\`,
        `    http://${host}:${running.httpPort}/tollgate.v1.CatalogService/DefineMeter`,
        "",
        `Load a demo catalog:  npm run cli -- demo`,
        ...(running.metricsPort !== undefined ? [`Metrics (Prometheus):  http://${host}:${running.metricsPort}/metrics`] : []),
        "",
      ].join("\n") + "\n",
    );
  } else {
    process.stdout.write(
      `Tollgate serving gRPC on ${host}:${running.grpcPort} and Connect/gRPC-Web on http://${host}:${running.httpPort}` +
        (running.metricsPort !== undefined ? `, metrics on http://${host}:${running.metricsPort}/metrics` : "") +
        (config.databaseUrl ? "" : ` (API key of the default tenant: ${apiKeyFile(config.dataDir)})`) +
        "\n",
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal} received: draining (health NOT_SERVING), letting in-flight calls finish\n`);
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

async function migrate(config: Config): Promise<void> {
  const database = await openForCommand(config, "tollgate migrate");
  try {
    const result = await migrateToLatest(database.db);
    const applied = result.results?.filter((r) => r.status === "Success").map((r) => r.migrationName) ?? [];
    process.stdout.write(applied.length ? `applied: ${applied.join(", ")}\n` : "database is up to date\n");
  } finally {
    await database.close();
  }
}

async function tenantCreate(config: Config, args: string[]): Promise<void> {
  const json = args.includes("--json");
  const names = args.filter((a) => a !== "--json");
  if (names.length !== 1 || !names[0]) throw new UsageError("tenant create takes exactly one name: tollgate tenant create <name> [--json]");
  const database = await openForCommand(config, "tollgate tenant create");
  try {
    await migrateToLatest(database.db);
    const created = await new CreateTenant(new PostgresTenantRepository(database.db), new Sha256SecretHasher(), new CryptoIds(), new SystemClock()).execute(names[0]);
    if (!created.ok) {
      const e = created.error;
      throw new UsageError(e.kind === "INVALID_ARGUMENT" ? e.violations.map((v) => `${v.field}: ${v.description}`).join("; ") : e.kind === "ALREADY_EXISTS" ? e.detail : e.kind);
    }
    const { tenant, apiKey } = created.value;
    process.stdout.write(
      json
        ? `${JSON.stringify({ tenant_id: tenant.id, api_key: apiKey })}\n`
        : `Created tenant "${tenant.name}" (${tenant.id}).\nAPI key (shown once; store it now):\n\n  ${apiKey}\n\n`,
    );
  } finally {
    await database.close();
  }
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function demo(config: Config, args: string[]): Promise<void> {
  const url = option(args, "--url") ?? `http://localhost:${config.httpPort}`;
  let apiKey = option(args, "--api-key") ?? process.env["TOLLGATE_API_KEY"];
  if (!apiKey) {
    try {
      apiKey = readFileSync(apiKeyFile(config.dataDir), "utf8").trim();
    } catch {
      throw new UsageError(`no API key: pass --api-key, set TOLLGATE_API_KEY, or start the server on a fresh data dir so it writes ${apiKeyFile(config.dataDir)}`);
    }
  }
  const summary = await loadDemoCatalog(url, apiKey);
  process.stdout.write(summary + "\n");
}

/** Sets the exit code: 1 when any tenant's log is broken. */
async function verifyLog(config: Config, args: string[]): Promise<void> {
  const json = args.includes("--json");
  const only = option(args, "--tenant");
  if (args.includes("--tenant") && (only === undefined || only.startsWith("--"))) throw new UsageError("--tenant needs a tenant id: tollgate verify-log --tenant <id>");
  const database = await openForCommand(config, "tollgate verify-log");
  try {
    await migrateToLatest(database.db);
    const log = new PostgresUsageLog(database.db);
    const verify = new VerifyEventLog(log, new Sha256UsageLogHasher());
    const known = await log.tenants();
    if (only && !known.includes(only)) throw new UsageError(`no tenant "${only}" in this database (tenants: ${known.join(", ") || "none"})`);
    const tenants = only ? [only] : known;
    let broken = false;
    for (const tenantId of tenants) {
      const v = await verify.execute(tenantId);
      broken ||= !v.intact;
      process.stdout.write(
        json
          ? `${JSON.stringify({ tenant_id: tenantId, intact: v.intact, verified_events: v.verifiedEvents, first_broken_event_id: v.firstBrokenEventId, problem: v.problem })}\n`
          : v.intact
            ? `${tenantId}: intact, ${v.verifiedEvents} events verified\n`
            : `${tenantId}: BROKEN at event "${v.firstBrokenEventId}" after ${v.verifiedEvents} verified: ${v.problem}\n`,
      );
    }
    if (broken) process.exitCode = 1;
  } finally {
    await database.close();
  }
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const config = loadConfig();
  switch (command) {
    case "serve":
      return serve(config);
    case "migrate":
      return migrate(config);
    case "tenant":
      if (rest[0] !== "create") throw new UsageError("unknown tenant command; did you mean: tollgate tenant create <name>");
      return tenantCreate(config, rest.slice(1));
    case "demo":
      return demo(config, rest);
    case "verify-log":
      return verifyLog(config, rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(usage + "\n");
      return;
    default:
      throw new UsageError(`unknown command "${command}"\n\n${usage}`);
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  const known = error instanceof UsageError || error instanceof ConfigError || (error instanceof Error && error.name === "DataDirLockedError");
  process.stderr.write(`tollgate: ${known ? (error as Error).message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(known ? 2 : 1);
});
