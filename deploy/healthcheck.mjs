#!/usr/bin/env node
// Container health check: calls the standard gRPC health service (grpc.health.v1.Health/Check)
// on Tollgate's gRPC port and exits 0 only when the answer is SERVING. Anything else (not
// listening, NOT_SERVING while starting or draining, an error, no answer within the deadline)
// exits 1 with one line on stderr saying why.
//
//   node deploy/healthcheck.mjs [port | host:port]
//
// The target is the argument if given, else 127.0.0.1:$TOLLGATE_GRPC_PORT (default 50051).
// TOLLGATE_HEALTHCHECK_SERVICE names the service to check ("" = the whole server, the default);
// TOLLGATE_HEALTHCHECK_TIMEOUT_MS bounds the call (default 2000).
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { fileURLToPath } from "node:url";

const protoDir = fileURLToPath(new URL("../third_party/proto", import.meta.url));
const arg = process.argv[2];
const target = arg ? (/^\d+$/.test(arg) ? `127.0.0.1:${arg}` : arg) : `127.0.0.1:${process.env.TOLLGATE_GRPC_PORT || "50051"}`;
const service = process.env.TOLLGATE_HEALTHCHECK_SERVICE ?? "";
const timeoutMs = Number(process.env.TOLLGATE_HEALTHCHECK_TIMEOUT_MS) > 0 ? Number(process.env.TOLLGATE_HEALTHCHECK_TIMEOUT_MS) : 2000;

function done(code, message) {
  (code === 0 ? process.stdout : process.stderr).write(`healthcheck ${target}: ${message}\n`);
  process.exit(code);
}

// A hard stop in case the call itself hangs past its deadline.
setTimeout(() => done(1, `no answer within ${timeoutMs + 1000} ms`), timeoutMs + 1000).unref();

const definition = loadSync("grpc/health/v1/health.proto", { includeDirs: [protoDir], keepCase: true, enums: String, defaults: true });
const { Health } = grpc.loadPackageDefinition(definition).grpc.health.v1;
const client = new Health(target, grpc.credentials.createInsecure());
client.Check({ service }, { deadline: new Date(Date.now() + timeoutMs) }, (error, response) => {
  client.close();
  if (error) done(1, `${grpc.status[error.code] ?? error.code}: ${error.details || error.message}`);
  else if (response.status === "SERVING") done(0, "SERVING");
  else done(1, String(response.status));
});
