import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import { sql } from "kysely";
import type { pino } from "pino";
import { CachedCatalogRepository } from "./adapters/postgres/catalog-cache.js";
import { LocalCatalogChangeFeed, PgCatalogChangeFeed } from "./adapters/postgres/catalog-change-feed.js";
import { migrateToLatest, openDatabase } from "./adapters/postgres/database.js";
import { startServers } from "./adapters/rpc/server.js";
import { IntervalScheduler } from "./adapters/system/interval-scheduler.js";
import { createLogger } from "./adapters/telemetry/logger.js";
import { setupTracing } from "./adapters/telemetry/tracing.js";
import { setupMetrics } from "./adapters/telemetry/metrics.js";
import { bootstrapDefaultTenant } from "./bootstrap.js";
import type { CreatedTenant } from "./application/tenants/create-tenant.js";
import { inMemoryDataDir, type Config } from "./config.js";
import {
  AuthenticateToken,
  buildContainer,
  CachedCatalogToken,
  CreateTenantToken,
  HealthStateToken,
  LoggerToken,
  PeriodAllowancesToken,
  resolve,
  WalletChangesToken,
  WalletWriterToken,
  WalletHousekeepingToken,
  ServedServicesToken,
} from "./container.js";
import { Health } from "./gen/grpc/health/v1/health_pb.js";

export type StartOptions = {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Tests collect spans here. */
  readonly spanExporter?: SpanExporter;
  /** Tests capture logs here; default stdout. */
  readonly logDestination?: pino.DestinationStream;
};

export type RunningTollgate = {
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Where GET /metrics answers; undefined when the endpoint is off. */
  readonly metricsPort: number | undefined;
  /** Set when this start created the default tenant of a fresh embedded data dir. */
  readonly bootstrapApiKey: string | undefined;
  /**
   * Creates a tenant through this process. Embedded Postgres belongs to the server process, so
   * this is how tenants are added beside a running embedded server (tests, embedding hosts).
   */
  createTenant(name: string): Promise<CreatedTenant>;
  stop(): Promise<void>;
};

/** Opens the database, migrates it, wires the container and serves both ports. */
export async function startTollgate(config: Config, options: StartOptions = {}): Promise<RunningTollgate> {
  const tracing = setupTracing(options.env ?? process.env, options.spanExporter);
  const logger = createLogger(config.logLevel, options.logDestination);
  const database = await openDatabase(
    config.databaseUrl
      ? {
          kind: "server",
          url: config.databaseUrl,
          poolMax: config.dbPoolMax,
          onIdleError: (error: Error) => logger.warn({ err: error }, "an idle database connection failed; it will be replaced"),
        }
      : config.dataDir === inMemoryDataDir
        ? { kind: "memory" }
        : { kind: "embedded", dataDir: config.dataDir, purpose: "tollgate serve" },
  );
  const cleanups: (() => Promise<void>)[] = [() => database.close(), () => tracing.shutdown()];
  try {
    const telemetry = await setupMetrics(options.env ?? process.env, config.host, config.metricsPort);
    cleanups.push(() => telemetry.shutdown());
    telemetry.metrics.poolStats = database.poolStats;
    await migrateToLatest(database.db);
    let onFeedLost = () => {};
    const feed = config.databaseUrl
      ? new PgCatalogChangeFeed(
          config.databaseUrl,
          { notify: async (channel, payload) => void (await sql`select pg_notify(${channel}, ${payload})`.execute(database.db)) },
          logger,
          () => onFeedLost(),
        )
      : new LocalCatalogChangeFeed();
    if (feed instanceof PgCatalogChangeFeed) {
      await feed.start();
      cleanups.unshift(() => feed.stop());
    }
    const container = buildContainer({ config, logger, database, catalogChanges: feed, metrics: telemetry.metrics });
    const cache: CachedCatalogRepository = resolve(container, CachedCatalogToken);
    onFeedLost = () => cache.invalidateAll();

    const walletChanges = resolve(container, WalletChangesToken);
    if (config.databaseUrl) {
      // Another instance's append makes what this one holds of that wallet stale.
      const writer = resolve(container, WalletWriterToken);
      walletChanges.onAnnounced((key, version) => writer.invalidate(key, version));
      await walletChanges.listen(config.databaseUrl);
      cleanups.unshift(() => walletChanges.stop());
    }
    const housekeeping = resolve(container, WalletHousekeepingToken);
    const allowances = resolve(container, PeriodAllowancesToken);
    const scheduler = new IntervalScheduler(
      "wallet housekeeping and period allowances",
      config.schedulerIntervalMs,
      async () => {
        const done = await housekeeping.execute();
        telemetry.metrics.schedulerLagSeconds = done.lagMs / 1000;
        await allowances.execute();
      },
      logger,
    );

    const bootstrap =
      database.kind === "embedded" ? await bootstrapDefaultTenant(database.db, resolve(container, CreateTenantToken), database.location === "memory" ? undefined : config.dataDir, logger) : undefined;

    const servers = await startServers({
      host: config.host,
      grpcPort: config.grpcPort,
      httpPort: config.httpPort,
      requestBytesMax: config.requestBytesMax,
      services: resolve(container, ServedServicesToken),
      pipeline: { authenticate: resolve(container, AuthenticateToken), logger: resolve(container, LoggerToken), publicServices: new Set([Health.typeName]), metrics: telemetry.metrics },
      health: resolve(container, HealthStateToken),
      logger,
    });
    scheduler.start();
    return {
      grpcPort: servers.grpcPort,
      httpPort: servers.httpPort,
      metricsPort: telemetry.port,
      bootstrapApiKey: bootstrap?.apiKey,
      createTenant: async (name) => {
        const created = await resolve(container, CreateTenantToken).execute(name);
        if (!created.ok) throw new Error(`cannot create tenant "${name}": ${JSON.stringify(created.error)}`);
        return created.value;
      },
      stop: async () => {
        await servers.shutdown(config.shutdownGraceMs);
        await scheduler.stop();
        for (const cleanup of cleanups) await cleanup();
      },
    };
  } catch (error) {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    throw error;
  }
}
