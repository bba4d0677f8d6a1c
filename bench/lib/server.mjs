// Starts the built server (dist/) as its own process, as in production, and stops it.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function startServer(extraEnv = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "tollgate-bench-"));
  const base = 30_000 + Math.floor(Math.random() * 10_000);
  const env = {
    ...process.env,
    TOLLGATE_DATA_DIR: dataDir,
    TOLLGATE_GRPC_PORT: String(base),
    TOLLGATE_HTTP_PORT: String(base + 1),
    TOLLGATE_METRICS_PORT: "0",
    TOLLGATE_HOST: "127.0.0.1",
    TOLLGATE_LOG_LEVEL: "warn",
    ...extraEnv,
  };
  const child = spawn(process.execPath, ["dist/src/cli.js", "serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const deadline = Date.now() + 60_000;
  while (!/Tollgate (is running|serving)/.test(output)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  let apiKey;
  try {
    apiKey = readFileSync(join(dataDir, "api-key"), "utf8").trim();
  } catch {
    apiKey = undefined;
  }
  return {
    grpcAddress: `127.0.0.1:${base}`,
    httpAddress: `127.0.0.1:${base + 1}`,
    apiKey,
    pid: child.pid,
    stop: async () => {
      const exited = new Promise((r) => child.on("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
