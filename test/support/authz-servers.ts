import { Writable } from "node:stream";
import { loadConfig } from "../../src/config.js";
import { startTollgate, type RunningTollgate } from "../../src/main.js";
import { createServerDatabase } from "./databases.js";

export type TwinServers = {
  /** The gRPC address of each instance, in start order. */
  readonly grpcAddresses: readonly string[];
  /** Key of the one tenant both instances serve. */
  readonly apiKey: string;
  readonly databaseUrl: string;
  readonly running: readonly RunningTollgate[];
  /** Log lines (JSON) of each instance. */
  readonly logs: readonly string[][];
  stop(): Promise<void>;
};

/**
 * Two service instances in this process on ONE new server Postgres database, as two replicas
 * behind a load balancer would be: each with its own wallet writers, caches and ports. The first
 * migrates the database; the tenant is created once, through the first.
 */
export async function startTwinServers(options: { env?: Record<string, string>; instances?: number } = {}): Promise<TwinServers> {
  const database = await createServerDatabase();
  const running: RunningTollgate[] = [];
  const logs: string[][] = [];
  try {
    for (let i = 0; i < (options.instances ?? 2); i++) {
      const env = {
        TOLLGATE_GRPC_PORT: "0",
        TOLLGATE_HTTP_PORT: "0",
        TOLLGATE_METRICS_PORT: "0",
        TOLLGATE_HOST: "127.0.0.1",
        TOLLGATE_LOG_LEVEL: "info",
        TOLLGATE_SHUTDOWN_GRACE_MS: "2000",
        DATABASE_URL: database.url,
        ...options.env,
      };
      const lines: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
          done();
        },
      });
      // One after the other: the first applies the migrations, the second finds them applied.
      running.push(await startTollgate(loadConfig(env), { env, logDestination: sink }));
      logs.push(lines);
    }
    const first = running[0];
    if (!first) throw new Error("no instance started");
    const { apiKey } = await first.createTenant(`twins-${Math.random().toString(36).slice(2)}`);
    return {
      grpcAddresses: running.map((r) => `127.0.0.1:${r.grpcPort}`),
      apiKey,
      databaseUrl: database.url,
      running,
      logs,
      stop: async () => {
        for (const r of running) await r.stop();
        await database.drop();
      },
    };
  } catch (error) {
    for (const r of running) await r.stop().catch(() => undefined);
    await database.drop().catch(() => undefined);
    throw error;
  }
}
