import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import { Writable } from "node:stream";
import { loadConfig } from "../../src/config.js";
import { startTollgate, type RunningTollgate } from "../../src/main.js";
import { createServerDatabase, type Backend } from "./databases.js";

export type TestServer = {
  readonly backend: Backend;
  readonly grpcAddress: string;
  readonly httpUrl: string;
  /** Key of a tenant created for this server. */
  readonly apiKey: string;
  readonly running: RunningTollgate;
  /** The server database's URL (server backend only), for tests that reach behind the API. */
  readonly databaseUrl: string | undefined;
  /** Creates another tenant and returns its API key. */
  newTenantKey(name: string): Promise<string>;
  /** Log lines the server wrote (JSON). */
  readonly logs: string[];
  stop(): Promise<void>;
};

/**
 * Starts the real server in this process (both transports on ephemeral ports) on a fresh
 * database: in-memory embedded Postgres, or a new uniquely named database on the server.
 */
export async function startTestServer(backend: Backend, options: { spanExporter?: SpanExporter; env?: Record<string, string> } = {}): Promise<TestServer> {
  const serverDb = backend === "server" ? await createServerDatabase() : undefined;
  const env = {
    TOLLGATE_GRPC_PORT: "0",
    TOLLGATE_HTTP_PORT: "0",
    TOLLGATE_METRICS_PORT: "0",
    TOLLGATE_HOST: "127.0.0.1",
    TOLLGATE_LOG_LEVEL: "info",
    TOLLGATE_SHUTDOWN_GRACE_MS: "2000",
    ...(serverDb ? { DATABASE_URL: serverDb.url } : { TOLLGATE_DATA_DIR: ":memory:" }),
    ...options.env,
  };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      done();
    },
  });
  const running = await startTollgate(loadConfig(env), {
    env,
    logDestination: sink,
    ...(options.spanExporter ? { spanExporter: options.spanExporter } : {}),
  });
  const apiKey = running.bootstrapApiKey ?? (await running.createTenant(`test-${Math.random().toString(36).slice(2)}`)).apiKey;
  return {
    backend,
    grpcAddress: `127.0.0.1:${running.grpcPort}`,
    httpUrl: `http://127.0.0.1:${running.httpPort}`,
    apiKey,
    running,
    databaseUrl: serverDb?.url,
    logs,
    newTenantKey: async (name) => (await running.createTenant(name)).apiKey,
    stop: async () => {
      await running.stop();
      await serverDb?.drop();
    },
  };
}
