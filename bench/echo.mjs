// bench/echo: Health.Check calls/s on each port with 64 concurrent grpc-js callers. This is the
// cost of the RPC stack alone (no database), the baseline later RPC figures are compared to.
// pgbench's `select 1` with 16 clients is measured in the same run as the bare-Postgres
// round-trip baseline.
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { closedLoop } from "./lib/load.mjs";
import { pgbench } from "./lib/pgbench.mjs";
import { startServer } from "./lib/server.mjs";

export async function runEcho({ seconds = 10, concurrency = 64 } = {}) {
  const definition = loadSync("grpc/health/v1/health.proto", { includeDirs: ["third_party/proto"], enums: String });
  const { Health } = grpc.loadPackageDefinition(definition).grpc.health.v1;
  const server = await startServer();
  const results = {};
  try {
    for (const [port, address] of [
      ["grpc (grpc-js)", server.grpcAddress],
      ["http (connect-node, gRPC over h2c)", server.httpAddress],
    ]) {
      const client = new Health(address, grpc.credentials.createInsecure());
      const call = () => new Promise((resolve, reject) => client.Check({ service: "" }, (e, r) => (e ? reject(e) : resolve(r))));
      await call();
      results[port] = await closedLoop({ concurrency, seconds, call });
      client.close();
    }
  } finally {
    await server.stop();
  }
  results["pgbench select 1 (16 clients)"] = pgbench({ script: "select 1;\n", clients: 16, seconds });
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await runEcho({ seconds: Number(process.env.BENCH_SECONDS ?? 10) });
  console.log(JSON.stringify(results, null, 2));
}
