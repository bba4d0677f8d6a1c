import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import { join } from "node:path";

/** The built command line (`npm run build` makes it): tests of processes run what ships. */
export const cliPath = join(process.cwd(), "dist", "src", "cli.js");

export type ServedProcess = {
  readonly child: ChildProcess;
  readonly grpcAddress: string;
  readonly httpUrl: string;
  /** Everything the process wrote so far, stdout and stderr. */
  output(): string;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (kill -9): no draining, no cleanup. */
  crash(): Promise<void>;
};

/**
 * Runs `tollgate serve` as a real process on ephemeral ports and waits for its "serving" log
 * line, which names the ports it bound.
 */
export async function serveProcess(env: Record<string, string>): Promise<ServedProcess> {
  const child = spawn(process.execPath, [cliPath, "serve"], {
    env: { ...process.env, TOLLGATE_GRPC_PORT: "0", TOLLGATE_HTTP_PORT: "0", TOLLGATE_HOST: "127.0.0.1", TOLLGATE_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  let ports: { grpc_port: number; http_port: number } | undefined;
  while (!ports) {
    const line = output.split("\n").find((l) => l.includes('"msg":"serving"'));
    if (line) ports = JSON.parse(line) as { grpc_port: number; http_port: number };
    else {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill("SIGKILL");
        throw new Error(`tollgate serve did not start:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    child,
    grpcAddress: `127.0.0.1:${ports.grpc_port}`,
    httpUrl: `http://127.0.0.1:${ports.http_port}`,
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
    crash: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Runs one `tollgate` command to completion without blocking this process (other work may go on meanwhile). */
export function runCliAsync(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs one `tollgate` command to completion. */
export function runCli(args: string[], env: Record<string, string>): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env }, encoding: "utf8", timeout: 60_000 });
}
