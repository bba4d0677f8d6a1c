import { limits } from "./domain/limits.js";

/** Everything the process reads from its environment, parsed and validated once at start. */
export type Config = {
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Prometheus scrape endpoint (GET /metrics); undefined when disabled ("off"). 0 picks a free port. */
  readonly metricsPort: number | undefined;
  /** Address both servers bind to. */
  readonly host: string;
  /** Server Postgres when set; otherwise embedded Postgres (PGlite) kept in `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly dbPoolMax: number;
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  readonly requestBytesMax: number;
  /** How long in-flight calls get to finish after SIGTERM before the process exits anyway. */
  readonly shutdownGraceMs: number;
  /** How long a verified API key stays cached in memory before it is looked up again. */
  readonly apiKeyCacheMs: number;
  /** A wallet snapshot is written every this many events. */
  readonly walletSnapshotEvery: number;
  /** CREDITS_EXPIRING is raised this long before a grant expires. */
  readonly expiryWarningLeadMs: number;
  /** How often the scheduler looks for due wallet housekeeping. */
  readonly schedulerIntervalMs: number;
  /** Usage older than this (by occurred_at) is refused. */
  readonly latenessMs: number;
  /** Usage this far in the future (clock skew) is still accepted. */
  readonly futureSkewMs: number;
  /** Beyond two IngestUsage calls at once, further calls wait while this many events are in progress. */
  readonly ingestEventsInProgressMax: number;
};

/** `TOLLGATE_DATA_DIR=:memory:` keeps embedded Postgres in memory only (tests, throwaway demos). */
export const inMemoryDataDir = ":memory:";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name}: must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name}: must be between ${min} and ${max}, got ${raw}`);
  return value;
}

/** Parses the environment; throws ConfigError naming the variable on the first bad value. */
export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = env["DATABASE_URL"] === "" ? undefined : env["DATABASE_URL"];
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL: must be a postgres:// or postgresql:// URL`);
  }
  const logLevel = env["TOLLGATE_LOG_LEVEL"] || "info";
  if (!(logLevels as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`TOLLGATE_LOG_LEVEL: must be one of ${logLevels.join(", ")}, got "${logLevel}"`);
  }
  return {
    grpcPort: integer(env, "TOLLGATE_GRPC_PORT", 50051, 0, 65535),
    httpPort: integer(env, "TOLLGATE_HTTP_PORT", 8080, 0, 65535),
    metricsPort: env["TOLLGATE_METRICS_PORT"] === "off" ? undefined : integer(env, "TOLLGATE_METRICS_PORT", 9464, 0, 65535),
    host: env["TOLLGATE_HOST"] || "0.0.0.0",
    databaseUrl,
    dataDir: env["TOLLGATE_DATA_DIR"] || "./data",
    dbPoolMax: integer(env, "TOLLGATE_DB_POOL_MAX", 4, 1, 256),
    logLevel: logLevel as Config["logLevel"],
    requestBytesMax: integer(env, "TOLLGATE_REQUEST_BYTES_MAX", limits.requestBytesMax, 1024, 64 * 1024 * 1024),
    shutdownGraceMs: integer(env, "TOLLGATE_SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    apiKeyCacheMs: integer(env, "TOLLGATE_API_KEY_CACHE_MS", 30_000, 0, 3_600_000),
    walletSnapshotEvery: integer(env, "TOLLGATE_WALLET_SNAPSHOT_EVERY", 100, 1, 1_000_000),
    expiryWarningLeadMs: integer(env, "TOLLGATE_EXPIRY_WARNING_LEAD_MS", 86_400_000, 0, 90 * 86_400_000),
    schedulerIntervalMs: integer(env, "TOLLGATE_SCHEDULER_INTERVAL_MS", 1000, 10, 3_600_000),
    latenessMs: integer(env, "TOLLGATE_LATENESS_DAYS", 35, 1, limits.latenessWindowDaysMax) * 86_400_000,
    futureSkewMs: integer(env, "TOLLGATE_FUTURE_SKEW_MS", 300_000, 0, 3_600_000),
    ingestEventsInProgressMax: integer(env, "TOLLGATE_INGEST_EVENTS_IN_PROGRESS_MAX", 2_000, 1, 1_000_000),
  };
}
