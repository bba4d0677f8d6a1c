import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { grpcService } from "../support/grpc-client.js";
import { startTestServer, type TestServer } from "../support/server.js";

/** The first Python on this machine that can generate gRPC stubs (Debian: python3-grpc-tools). */
const python = ["/usr/bin/python3", "python3"].find((p) => spawnSync(p, ["-c", "import grpc_tools.protoc, grpc"], { encoding: "utf8" }).status === 0);
if (!python) console.warn("python-client: skipped: no python3 with grpc_tools and grpc (install the Debian package python3-grpc-tools)");

(python ? describe : describe.skip)("a Python client generated from proto/", () => {
  let server: TestServer;
  const stubs = mkdtempSync(join(tmpdir(), "tollgate-py-"));

  beforeAll(async () => {
    const root = process.cwd();
    const generated = spawnSync(
      python!,
      ["-m", "grpc_tools.protoc", `-I${join(root, "proto")}`, `-I${join(root, "third_party", "proto")}`, `--python_out=${stubs}`, `--grpc_python_out=${stubs}`,
        "tollgate/v1/common.proto", "tollgate/v1/catalog.proto", "tollgate/v1/wallet.proto", "tollgate/v1/rating.proto", "tollgate/v1/authorization.proto"],
      { encoding: "utf8" },
    );
    if (generated.status !== 0) throw new Error(`grpc_tools.protoc failed: ${generated.stderr}`);
    server = await startTestServer("embedded");
    const catalog = grpcService(server.grpcAddress, "CatalogService", server.apiKey);
    for (const key of ["input_tokens", "output_tokens"]) await catalog.call("DefineMeter", { key });
    await catalog.call("DefineModel", { key: "gpt-4o", vendor: "openai", currency: "USD", cost: { expression: "input_tokens * rate_in + output_tokens * rate_out", rates: { rate_in: "0.0000025", rate_out: "0.00001" } } });
    await catalog.call("CreatePlan", { key: "py", currency: "USD" });
    await catalog.call("PublishPlanVersion", { plan_key: "py", version: { prices: [{ model: "gpt-4o", formula: { expression: "cost * 1.25", rates: {} } }] } });
    await catalog.call("CreateCustomer", { customer_id: "py-acme", plan_key: "py" });
    catalog.close();
    const wallet = grpcService(server.grpcAddress, "WalletService", server.apiKey);
    await wallet.call("GrantCredits", { customer_id: "py-acme", grant_id: "g", amount: { amount: "1", currency: "USD" }, source: "GRANT_SOURCE_PURCHASE" });
    wallet.close();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(stubs, { recursive: true, force: true });
  });

  it("authorizes, commits and reads the balance, exactly as a Node caller would", async () => {
    // Asynchronously: the server answering it runs in this process.
    const run = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
      const child = spawn(python!, [join(process.cwd(), "test", "support", "python", "tollgate_client.py"), stubs, server.grpcAddress, server.apiKey, "py-acme"]);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.on("close", () => resolve({ stdout, stderr }));
    });
    expect(run.stderr).toBe("");
    // Estimate 1000 in / 500 out: cost 0.0025 + 0.005 = 0.0075, × 1.25 = 0.009375 held.
    // Actual 800 / 300: cost 0.002 + 0.003 = 0.005, × 1.25 = 0.00625 charged, 0.003125 released.
    expect(JSON.parse(run.stdout)).toEqual({
      decision: "DECISION_ALLOW",
      reserved: "0.009375",
      charge: "0.00625",
      released: "0.003125",
      available: "0.99375",
      currency: "USD",
      unknown_customer: "NOT_FOUND",
    });
  }, 30_000);
});
