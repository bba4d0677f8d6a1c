import type { Counter, Histogram, Meter } from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader } from "@opentelemetry/sdk-metrics";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Decimal } from "../../domain/money/decimal.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Every metric Tollgate exports, by its Prometheus name (counters get `_total` on the scrape
 * endpoint). deploy/ (dashboard, alert rules) reads exactly these; test/deploy checks it.
 */
export type TollgateMetrics = {
  readonly rpcDuration: Histogram;
  readonly authorizationDecisions: Counter;
  readonly ratedCharge: Counter;
  readonly ratedCost: Counter;
  readonly ratedMargin: Counter;
  readonly ingestEvents: Counter;
  readonly ingestLag: Histogram;
  readonly walletBatchSize: Histogram;
  readonly walletConflicts: Counter;
  /** How overdue the oldest due wallet housekeeping was at the last scheduler tick. */
  schedulerLagSeconds: number;
  /** Reads the database pool's connections by state. */
  poolStats: (() => { total: number; idle: number; waiting: number }) | undefined;
};

const latencyBucketsSeconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const batchBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];
const lagBucketsSeconds = [0.1, 1, 10, 60, 600, 3600, 21_600, 86_400, 604_800, 3_024_000];

function instruments(meter: Meter): TollgateMetrics {
  const m: TollgateMetrics = {
    rpcDuration: meter.createHistogram("tollgate_rpc_duration_seconds", {
      description: "Duration of RPCs by service, method, status code and transport",
      unit: "s",
      advice: { explicitBucketBoundaries: latencyBucketsSeconds },
    }),
    authorizationDecisions: meter.createCounter("tollgate_authorization_decisions", { description: "Authorize answers by decision and deny reason" }),
    ratedCharge: meter.createCounter("tollgate_rated_charge", { description: "Charged to customers, in currency units, by model and currency" }),
    ratedCost: meter.createCounter("tollgate_rated_cost", { description: "Vendor cost of rated usage, in currency units, by model and currency" }),
    ratedMargin: meter.createCounter("tollgate_rated_margin", { description: "Charge minus vendor cost (where both share a currency), by model and currency" }),
    ingestEvents: meter.createCounter("tollgate_ingest_events", { description: "Usage events by ingestion outcome" }),
    ingestLag: meter.createHistogram("tollgate_ingest_lag_seconds", {
      description: "Received time minus occurred time of accepted usage",
      unit: "s",
      advice: { explicitBucketBoundaries: lagBucketsSeconds },
    }),
    walletBatchSize: meter.createHistogram("tollgate_wallet_write_batch_size", {
      description: "Wallet events written per wallet per append (group commit)",
      advice: { explicitBucketBoundaries: batchBuckets },
    }),
    walletConflicts: meter.createCounter("tollgate_wallet_write_conflicts", { description: "Wallet appends that lost a race and were decided again" }),
    schedulerLagSeconds: 0,
    poolStats: undefined,
  };
  // Series that exist from the start, at zero, so dashboards and rate() see them before the
  // first event of their kind.
  m.walletConflicts.add(0);
  for (const status of ["ACCEPTED", "DUPLICATE", "REJECTED"]) m.ingestEvents.add(0, { status });
  m.authorizationDecisions.add(0, { decision: "ALLOW", reason: "NONE" });
  meter.createObservableGauge("tollgate_scheduler_lag_seconds", { description: "How overdue the oldest due wallet housekeeping was at the last scheduler tick" }).addCallback((r) => r.observe(m.schedulerLagSeconds));
  meter.createObservableGauge("tollgate_db_pool_connections", { description: "Database pool connections by state" }).addCallback((r) => {
    const stats = m.poolStats?.();
    if (!stats) return;
    r.observe(stats.total, { state: "total" });
    r.observe(stats.idle, { state: "idle" });
    r.observe(stats.waiting, { state: "waiting" });
  });
  return m;
}

/**
 * A money amount as a metric value. Counters take doubles; amounts stay exact on the money path
 * and are converted only here, for dashboards, where the last digits of a float do not matter.
 */
export const asMetricValue = (amount: Decimal): number => Number(amount.toString());

export type MetricsSetup = {
  readonly metrics: TollgateMetrics;
  /** The port /metrics is served on (the configured one, or the one chosen for 0). */
  readonly port: number | undefined;
  shutdown(): Promise<void>;
};

/** True when the standard OTEL_* variables ask for OTLP metric export. */
function otlpMetricsConfigured(env: Env): boolean {
  const exporter = env["OTEL_METRICS_EXPORTER"];
  if (exporter !== undefined && exporter !== "" && exporter !== "otlp") return false;
  return Boolean(env["OTEL_EXPORTER_OTLP_ENDPOINT"] || env["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] || exporter === "otlp");
}

/**
 * Metrics through OpenTelemetry: a Prometheus scrape endpoint on `port` (GET /metrics; undefined
 * = none) and OTLP export when the standard OTEL_* variables configure it. Each server has its
 * own meter provider (not the global one), so two servers in one process (tests) keep apart.
 */
export async function setupMetrics(env: Env, host: string, port: number | undefined): Promise<MetricsSetup> {
  const readers: MetricReader[] = [];
  const prometheus = port === undefined ? undefined : new PrometheusExporter({ preventServerStart: true });
  if (prometheus) readers.push(prometheus);
  if (env["OTEL_SDK_DISABLED"] !== "true" && otlpMetricsConfigured(env)) {
    readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: Number(env["OTEL_METRIC_EXPORT_INTERVAL"] ?? 60_000) }));
  }
  const provider = new MeterProvider({ resource: resourceFromAttributes({ "service.name": env["OTEL_SERVICE_NAME"] || "tollgate" }), readers });
  const m = instruments(provider.getMeter("tollgate"));
  let server: Server | undefined;
  let bound: number | undefined;
  if (prometheus && port !== undefined) {
    server = createServer((req, res) => {
      if (req.method === "GET" && (req.url === "/metrics" || req.url?.startsWith("/metrics?"))) prometheus.getMetricsRequestHandler(req, res);
      else {
        res.statusCode = 404;
        res.end("not found: metrics are served at /metrics\n");
      }
    });
    await new Promise<void>((resolve, reject) => {
      server?.once("error", reject);
      server?.listen(port, host, () => resolve());
    });
    bound = (server.address() as AddressInfo).port;
  }
  return {
    metrics: m,
    port: bound,
    shutdown: async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await provider.shutdown().catch(() => undefined);
    },
  };
}
