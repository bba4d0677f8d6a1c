/**
 * The metric catalog shared by the deploy checks (dashboard, alert rules) and the scrape test of
 * the running server: one list, so the two cannot drift apart.
 */
export type Labels = Readonly<Record<string, readonly string[] | null>>;
export type MetricSpec = { type: "counter" | "gauge" | "histogram"; labels: Labels };

const grpcCodes = [
  "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists", "PermissionDenied",
  "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
  "Unauthenticated",
] as const;

/**
 * The metrics Tollgate serves on TOLLGATE_METRICS_PORT (/metrics): the only names the dashboard
 * and the alert rules may use. `null` = any value; a list = the values the label takes.
 */
export const METRICS: Readonly<Record<string, MetricSpec>> = {
  tollgate_rpc_duration_seconds: {
    type: "histogram",
    labels: { rpc_service: null, rpc_method: null, rpc_code: grpcCodes, transport: ["grpc", "http"] },
  },
  tollgate_authorization_decisions_total: {
    type: "counter",
    labels: {
      decision: ["ALLOW", "DENY"],
      reason: [
        "NONE", "INSUFFICIENT_FUNDS", "SPEND_CAP_REACHED", "TRIAL_LIMIT_REACHED", "CONCURRENCY_LIMIT_REACHED", "CUSTOMER_SUSPENDED",
        "MODEL_NOT_IN_PLAN", "RATE_LIMITED",
      ],
    },
  },
  tollgate_rated_charge_total: { type: "counter", labels: { model: null, currency: null } },
  tollgate_rated_cost_total: { type: "counter", labels: { model: null, currency: null } },
  tollgate_rated_margin_total: { type: "counter", labels: { model: null, currency: null } },
  tollgate_ingest_events_total: { type: "counter", labels: { status: ["ACCEPTED", "DUPLICATE", "REJECTED"] } },
  tollgate_ingest_lag_seconds: { type: "histogram", labels: {} },
  tollgate_wallet_write_batch_size: { type: "histogram", labels: {} },
  tollgate_wallet_write_conflicts_total: { type: "counter", labels: {} },
  tollgate_scheduler_lag_seconds: { type: "gauge", labels: {} },
  tollgate_db_pool_connections: { type: "gauge", labels: { state: ["total", "idle", "waiting"] } },
};
