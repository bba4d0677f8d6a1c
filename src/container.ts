import { Container, type ResolutionContext } from "inversify";
import type { Logger } from "pino";
import { ChangePlan } from "./application/catalog/change-plan.js";
import { CreateCustomer } from "./application/catalog/create-customer.js";
import { CreatePlan } from "./application/catalog/create-plan.js";
import { DefineMeter } from "./application/catalog/define-meter.js";
import { DefineModel } from "./application/catalog/define-model.js";
import { GetCustomer } from "./application/catalog/get-customer.js";
import { GetPlan } from "./application/catalog/get-plan.js";
import { ListMeters } from "./application/catalog/list-meters.js";
import { ListModels } from "./application/catalog/list-models.js";
import { ListPlans } from "./application/catalog/list-plans.js";
import { PublishPlanVersion } from "./application/catalog/publish-plan-version.js";
import { SetCustomerStatus } from "./application/catalog/set-customer-status.js";
import { UpdateCustomerLimits } from "./application/catalog/update-customer-limits.js";
import { CatalogRepository } from "./application/ports/catalog-repository.js";
import { Clock } from "./application/ports/clock.js";
import { Ids } from "./application/ports/ids.js";
import { token, type Token } from "./application/ports/token.js";
import { SecretHasher, TenantRepository } from "./application/ports/tenant-repository.js";
import { Authenticate } from "./application/tenants/authenticate.js";
import { CreateTenant } from "./application/tenants/create-tenant.js";
import { CachedCatalogRepository, type CatalogChangeFeed } from "./adapters/postgres/catalog-cache.js";
import { PostgresCatalogRepository } from "./adapters/postgres/catalog-repository.js";
import type { DatabaseHandle } from "./adapters/postgres/database.js";
import { jsonbEncodingFor } from "./adapters/postgres/jsonb-param.js";
import { PostgresTenantRepository } from "./adapters/postgres/tenant-repository.js";
import { CatalogServiceImpl } from "./adapters/rpc/catalog-service.js";
import { HealthServiceImpl, HealthState } from "./adapters/rpc/health.js";
import { AuthorizationServiceImpl } from "./adapters/rpc/authorization-service.js";
import { AnswerCache } from "./application/authorization/answer-cache.js";
import { Authorize, type Authorization } from "./application/authorization/authorize.js";
import { Commit } from "./application/authorization/commit.js";
import { Extend, Release } from "./application/authorization/extend-release.js";
import { KeyedLock } from "./application/authorization/keyed-lock.js";
import { TrialGroups } from "./application/authorization/trial-groups.js";
import { RateLimiter } from "./application/authorization/rate-limiter.js";
import { RatingServiceImpl } from "./adapters/rpc/rating-service.js";
import { PostgresUsageLog } from "./adapters/postgres/usage-log.js";
import { Sha256UsageLogHasher } from "./adapters/system/sha256-usage-log-hasher.js";
import { UsageLog, UsageLogHasher } from "./application/ports/usage-log.js";
import { FormulaCache } from "./application/rating/formula-cache.js";
import { IngestionGate } from "./application/rating/ingestion-gate.js";
import { InFlightIds } from "./application/rating/in-flight-ids.js";
import { IngestUsage } from "./application/rating/ingest-usage.js";
import { QuotePrice } from "./application/rating/quote-price.js";
import { GetUsageSummary, ListRatedEvents } from "./application/rating/usage-queries.js";
import { VerifyEventLog } from "./application/rating/verify-event-log.js";
import { WalletServiceImpl } from "./adapters/rpc/wallet-service.js";
import { WalletChanges } from "./adapters/postgres/wallet-change-feed.js";
import { PostgresWalletStore } from "./adapters/postgres/wallet-store.js";
import { WalletChangeFeed, WalletStore } from "./application/ports/wallet-store.js";
import { GetBalance } from "./application/wallet/get-balance.js";
import { GrantCredits } from "./application/wallet/grant-credits.js";
import { ListWalletEvents } from "./application/wallet/list-wallet-events.js";
import { RunWalletHousekeeping } from "./application/wallet/run-wallet-housekeeping.js";
import { GrantPeriodAllowances } from "./application/wallet/grant-period-allowances.js";
import { PostgresAllowanceSchedule } from "./adapters/postgres/allowance-schedule.js";
import { SetBalanceAlerts } from "./application/wallet/set-balance-alerts.js";
import { WatchBalance } from "./application/wallet/watch-balance.js";
import { WalletWriter } from "./application/wallet/wallet-writer.js";
import type { ServedService } from "./adapters/rpc/server.js";
import { CryptoIds } from "./adapters/system/crypto-ids.js";
import { Sha256SecretHasher } from "./adapters/system/sha256-secret-hasher.js";
import { SystemClock } from "./adapters/system/system-clock.js";
import { tracedUseCase } from "./adapters/telemetry/instrument.js";
import type { Config } from "./config.js";
import { InstrumentedWalletStore } from "./adapters/telemetry/instrumented-wallet-store.js";
import type { TollgateMetrics } from "./adapters/telemetry/metrics.js";
import { Health } from "./gen/grpc/health/v1/health_pb.js";
import { AuthorizationService } from "./gen/tollgate/v1/authorization_pb.js";
import { CatalogService } from "./gen/tollgate/v1/catalog_pb.js";
import { RatingService } from "./gen/tollgate/v1/rating_pb.js";
import { WalletService } from "./gen/tollgate/v1/wallet_pb.js";

/** Process-level things made before the container: configuration, logs, the open database. */
export type Infrastructure = {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: DatabaseHandle;
  readonly catalogChanges: CatalogChangeFeed;
  readonly metrics: TollgateMetrics;
};

export const ConfigToken = token<Config>("Config");
export const MetricsToken = token<TollgateMetrics>("Metrics");
export const LoggerToken = token<Logger>("Logger");
export const DatabaseToken = token<DatabaseHandle>("Database");
export const CatalogChangeFeedToken = token<CatalogChangeFeed>("CatalogChangeFeed");
export const HealthStateToken = token<HealthState>("HealthState");
export const ServedServicesToken = token<readonly ServedService[]>("ServedServices");
export const AuthenticateToken = token<Authenticate>("Authenticate");
export const CreateTenantToken = token<CreateTenant>("CreateTenant");
export const CachedCatalogToken = token<CachedCatalogRepository>("CachedCatalogRepository");
export const WalletChangesToken = token<WalletChanges>("WalletChanges");
export const WalletWriterToken = token<WalletWriter>("WalletWriter");
export const WalletHousekeepingToken = token<RunWalletHousekeeping>("RunWalletHousekeeping");
export const PeriodAllowancesToken = token<GrantPeriodAllowances>("GrantPeriodAllowances");
export const FormulaCacheToken = token<FormulaCache>("FormulaCache");
export const VerifyEventLogToken = token<VerifyEventLog>("VerifyEventLog");

/** Resolves a typed token (inversify's own signature cannot carry the type of a symbol). */
const get = <T>(ctx: ResolutionContext, id: Token<T>): T => ctx.get<T>(id);

/** Typed resolution for the entry point (main.ts), the only place that resolves. */
export const resolve = <T>(container: Container, id: Token<T>): T => container.get<T>(id);

/**
 * The composition root: the only module that knows every adapter. Everything is a singleton
 * built by a factory, so domain and application classes carry no container decorators.
 */
export function buildContainer(infra: Infrastructure): Container {
  const c = new Container();
  c.bind(ConfigToken).toConstantValue(infra.config);
  c.bind(LoggerToken).toConstantValue(infra.logger);
  c.bind(DatabaseToken).toConstantValue(infra.database);
  c.bind(CatalogChangeFeedToken).toConstantValue(infra.catalogChanges);
  c.bind(MetricsToken).toConstantValue(infra.metrics);

  c.bind(Clock).toDynamicValue(() => new SystemClock()).inSingletonScope();
  c.bind(Ids).toDynamicValue(() => new CryptoIds()).inSingletonScope();
  c.bind(SecretHasher).toDynamicValue(() => new Sha256SecretHasher()).inSingletonScope();
  c.bind(TenantRepository)
    .toDynamicValue((ctx) => new PostgresTenantRepository(get(ctx, DatabaseToken).db))
    .inSingletonScope();
  c.bind(CachedCatalogToken)
    .toDynamicValue((ctx) => new CachedCatalogRepository(new PostgresCatalogRepository(get(ctx, DatabaseToken).db), get(ctx, CatalogChangeFeedToken)))
    .inSingletonScope();
  c.bind(CatalogRepository).toDynamicValue((ctx) => get(ctx, CachedCatalogToken)).inSingletonScope();

  c.bind(WalletStore)
    .toDynamicValue((ctx) => {
      const database = get(ctx, DatabaseToken);
      return new InstrumentedWalletStore(new PostgresWalletStore(database.db, database.kind === "server", database.appendDb, jsonbEncodingFor(database.kind)), get(ctx, MetricsToken));
    })
    .inSingletonScope();
  c.bind(WalletChangesToken).toDynamicValue((ctx) => new WalletChanges(get(ctx, LoggerToken))).inSingletonScope();
  c.bind(WalletChangeFeed).toDynamicValue((ctx) => get(ctx, WalletChangesToken)).inSingletonScope();
  c.bind(UsageLogHasher).toDynamicValue(() => new Sha256UsageLogHasher()).inSingletonScope();
  c.bind(UsageLog)
    .toDynamicValue((ctx) => new PostgresUsageLog(get(ctx, DatabaseToken).db))
    .inSingletonScope();
  c.bind(FormulaCacheToken).toDynamicValue(() => new FormulaCache()).inSingletonScope();
  c.bind(VerifyEventLogToken)
    .toDynamicValue((ctx) => tracedUseCase("VerifyEventLog", new VerifyEventLog(get(ctx, UsageLog), get(ctx, UsageLogHasher))))
    .inSingletonScope();
  c.bind(WalletWriterToken)
    .toDynamicValue((ctx) => {
      const config = get(ctx, ConfigToken);
      return new WalletWriter(
        get(ctx, WalletStore),
        get(ctx, WalletChangeFeed),
        get(ctx, Clock),
        {
          snapshotEvery: config.walletSnapshotEvery,
          expiryWarningLeadMs: config.expiryWarningLeadMs,
          batchMax: 1000,
          cachedWalletsMax: 100_000,
          // Unique per process: another process's append can never carry a token this one expects.
          tokenPrefix: `${get(ctx, Ids).newId("w")}.`,
        },
        get(ctx, UsageLogHasher),
      );
    })
    .inSingletonScope();
  c.bind(WalletHousekeepingToken)
    // Not traced: a tick every second on every instance would be a constant stream of traces.
    .toDynamicValue((ctx) => new RunWalletHousekeeping(get(ctx, WalletStore), get(ctx, WalletWriterToken), get(ctx, Clock), get(ctx, ConfigToken).expiryWarningLeadMs))
    .inSingletonScope();

  c.bind(PeriodAllowancesToken)
    .toDynamicValue(
      (ctx) => new GrantPeriodAllowances(new PostgresAllowanceSchedule(get(ctx, DatabaseToken).db), get(ctx, CatalogRepository), get(ctx, WalletWriterToken), get(ctx, Clock)),
    )
    .inSingletonScope();

  c.bind(AuthenticateToken)
    .toDynamicValue((ctx) => new Authenticate(get(ctx, TenantRepository), get(ctx, SecretHasher), get(ctx, ConfigToken).apiKeyCacheMs, () => Date.now()))
    .inSingletonScope();
  c.bind(CreateTenantToken)
    .toDynamicValue((ctx) => tracedUseCase("CreateTenant", new CreateTenant(get(ctx, TenantRepository), get(ctx, SecretHasher), get(ctx, Ids), get(ctx, Clock))))
    .inSingletonScope();

  c.bind(HealthStateToken)
    .toDynamicValue(() => new HealthState([CatalogService.typeName, RatingService.typeName, WalletService.typeName, AuthorizationService.typeName]))
    .inSingletonScope();

  c.bind(ServedServicesToken)
    .toDynamicValue((ctx) => {
      const catalog = get(ctx, CatalogRepository);
      const clock = get(ctx, Clock);
      const catalogService = new CatalogServiceImpl({
        defineMeter: tracedUseCase("DefineMeter", new DefineMeter(catalog, clock)),
        listMeters: tracedUseCase("ListMeters", new ListMeters(catalog)),
        defineModel: tracedUseCase("DefineModel", new DefineModel(catalog, clock)),
        listModels: tracedUseCase("ListModels", new ListModels(catalog)),
        createPlan: tracedUseCase("CreatePlan", new CreatePlan(catalog, clock)),
        publishPlanVersion: tracedUseCase("PublishPlanVersion", new PublishPlanVersion(catalog, clock)),
        getPlan: tracedUseCase("GetPlan", new GetPlan(catalog)),
        listPlans: tracedUseCase("ListPlans", new ListPlans(catalog)),
        createCustomer: tracedUseCase("CreateCustomer", new CreateCustomer(catalog, clock)),
        getCustomer: tracedUseCase("GetCustomer", new GetCustomer(catalog)),
        changePlan: tracedUseCase("ChangePlan", new ChangePlan(catalog, clock)),
        updateCustomerLimits: tracedUseCase("UpdateCustomerLimits", new UpdateCustomerLimits(catalog, clock)),
        setCustomerStatus: tracedUseCase("SetCustomerStatus", new SetCustomerStatus(catalog, clock)),
      });
      const store = get(ctx, WalletStore);
      const writer = get(ctx, WalletWriterToken);
      const walletService = new WalletServiceImpl({
        getBalance: tracedUseCase("GetBalance", new GetBalance(catalog, store, clock)),
        grantCredits: tracedUseCase("GrantCredits", new GrantCredits(catalog, writer, clock)),
        listWalletEvents: tracedUseCase("ListWalletEvents", new ListWalletEvents(catalog, store, clock)),
        setBalanceAlerts: tracedUseCase("SetBalanceAlerts", new SetBalanceAlerts(catalog, writer, clock)),
        watchBalance: new WatchBalance(catalog, store, get(ctx, WalletChangeFeed), clock),
      });
      const config = get(ctx, ConfigToken);
      const formulas = get(ctx, FormulaCacheToken);
      const usageLog = get(ctx, UsageLog);
      const metrics = get(ctx, MetricsToken);
      const ratingService = new RatingServiceImpl({
        quotePrice: tracedUseCase("QuotePrice", new QuotePrice(catalog, formulas, writer, clock)),
        ingestUsage: tracedUseCase(
          "IngestUsage",
          new IngestUsage(catalog, formulas, usageLog, get(ctx, UsageLogHasher), writer, new InFlightIds(), new IngestionGate(config.ingestEventsInProgressMax), clock, { latenessMs: config.latenessMs, futureSkewMs: config.futureSkewMs }),
        ),
        getUsageSummary: tracedUseCase("GetUsageSummary", new GetUsageSummary(usageLog)),
        listRatedEvents: tracedUseCase("ListRatedEvents", new ListRatedEvents(usageLog)),
        verifyEventLog: get(ctx, VerifyEventLogToken),
      }, metrics);
      const window = { latenessMs: config.latenessMs, futureSkewMs: config.futureSkewMs };
      const nowMs = () => clock.now().getTime();
      const trials = new TrialGroups(catalog, writer, new KeyedLock());
      const authorizationService = new AuthorizationServiceImpl({
        authorize: tracedUseCase(
          "Authorize",
          new Authorize(catalog, formulas, writer, store, new RateLimiter(nowMs), new AnswerCache<Authorization>(nowMs, 15 * 60_000, 100_000), trials, clock),
        ),
        commit: tracedUseCase("Commit", new Commit(catalog, formulas, usageLog, get(ctx, UsageLogHasher), writer, store, clock, window)),
        extend: tracedUseCase("Extend", new Extend(catalog, formulas, writer, trials, clock)),
        release: tracedUseCase("Release", new Release(writer, store, clock)),
      }, metrics);
      const served: ServedService[] = [
        { service: CatalogService, impl: catalogService },
        { service: RatingService, impl: ratingService },
        { service: WalletService, impl: walletService },
        { service: AuthorizationService, impl: authorizationService },
        { service: Health, impl: new HealthServiceImpl(get(ctx, HealthStateToken)) },
      ];
      return served;
    })
    .inSingletonScope();
  return c;
}
