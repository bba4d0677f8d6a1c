import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backends, createServerDatabase } from "../support/databases.js";
import { connectJson } from "../support/grpc-client.js";

const cli = join(process.cwd(), "dist", "src", "cli.js");

type Served = { child: ChildProcess; output: () => string; httpUrl: string; exited: Promise<number | null> };

/**
 * Runs `tollgate serve` as a real process and waits until it says it is serving. Its ports are
 * the system's choice (0), read back from that log line: a port picked at random here can be
 * taken, by another test's server or by an outgoing connection's ephemeral port.
 */
async function serve(env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, [cli, "serve"], {
    env: { ...process.env, TOLLGATE_GRPC_PORT: "0", TOLLGATE_HTTP_PORT: "0", TOLLGATE_METRICS_PORT: "0", TOLLGATE_HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 30_000;
  while (!output.includes('"msg":"serving"')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const http = /"http_port":(\d+)/.exec(output)?.[1];
  if (!http) throw new Error(`the server did not say its HTTP port:\n${output}`);
  return { child, output: () => output, httpUrl: `http://127.0.0.1:${http}`, exited };
}

function run(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, encoding: "utf8", timeout: 60_000 });
}

describe("tollgate on a fresh embedded data dir", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "tollgate-cli-"));
  const env = { TOLLGATE_DATA_DIR: dataDir };
  let served: Served;

  beforeAll(async () => {
    served = await serve(env);
  }, 60_000);
  afterAll(() => {
    if (served.child.exitCode === null) served.child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("creates a default tenant, prints its key once with a first curl call, and saves it with mode 0600", () => {
    const key = readFileSync(join(dataDir, "api-key"), "utf8").trim();
    expect(key).toMatch(/^tg\.key_[0-9a-f]{20}\./);
    expect(served.output()).toContain(key);
    expect(served.output()).toContain("curl");
    expect(statSync(join(dataDir, "api-key")).mode & 0o777).toBe(0o600);
  });

  it("answers health without a key on the HTTP port", async () => {
    const health = await connectJson(served.httpUrl, "grpc.health.v1.Health/Check", {}, null);
    expect(health.body).toEqual({ status: "SERVING" });
  });

  it("refuses a second process on the same data dir with a clear message instead of corrupting it", () => {
    const result = run(["tenant", "create", "acme"], env);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/in use by another Tollgate process/);
  });

  it("loads the demo catalog through the API; GetPlan returns its formulas intact", () => {
    const result = run(["demo", "--url", served.httpUrl], env);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("plan:   pro");
  });

  it("GetPlan after the demo returns the demo plan", async () => {
    const key = readFileSync(join(dataDir, "api-key"), "utf8").trim();
    const plan = await connectJson(served.httpUrl, "tollgate.v1.CatalogService/GetPlan", { planKey: "pro" }, key);
    const prices = ((plan.body["plan"] as { versions: { prices: unknown[] }[] }).versions[0]?.prices ?? []) as unknown[];
    expect(prices).toContainEqual({ model: "*", formula: { expression: "max(cost * markup, minimum)", rates: { markup: "1.3", minimum: "0.0001" } } });
    const models = await connectJson(served.httpUrl, "tollgate.v1.CatalogService/ListModels", { tag: "flagship" }, key);
    const gpt4o = (models.body["models"] as { key: string; costVersions: { cost: { rates: Record<string, string> } }[] }[]).find((m) => m.key === "gpt-4o");
    expect(gpt4o?.costVersions[0]?.cost.rates).toEqual({ rate_in: "0.0000025", rate_out: "0.00001", rate_cached: "0.00000125" });
  });

  it("drains on SIGTERM: health turns NOT_SERVING, then the process exits 0", async () => {
    const watch = fetch(`${served.httpUrl}/grpc.health.v1.Health/Watch`, {
      method: "POST",
      headers: { "content-type": "application/connect+json" },
      body: Buffer.concat([Buffer.from([0, 0, 0, 0, 2]), Buffer.from("{}")]),
    }).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 300));
    served.child.kill("SIGTERM");
    expect(await served.exited).toBe(0);
    const stream = await watch;
    expect(stream).toContain('"status":"SERVING"');
    expect(stream).toContain('"status":"NOT_SERVING"');
  }, 30_000);

  it("keeps the data and prints no new key on restart", async () => {
    const again = await serve(env);
    try {
      expect(again.output()).not.toContain("Created tenant");
      const key = readFileSync(join(dataDir, "api-key"), "utf8").trim();
      const plan = await connectJson(again.httpUrl, "tollgate.v1.CatalogService/GetPlan", { planKey: "pro" }, key);
      expect(plan.status).toBe(200);
    } finally {
      again.child.kill("SIGTERM");
      await again.exited;
    }
  }, 60_000);
});

describe("tollgate tenant create", () => {
  it("on a stopped embedded data dir prints the key as JSON on the last line, and the key works", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tollgate-cli-"));
    try {
      const result = run(["tenant", "create", "acme", "--json"], { TOLLGATE_DATA_DIR: dataDir });
      expect(result.status).toBe(0);
      const last = JSON.parse(result.stdout.trim().split("\n").at(-1) ?? "{}") as { tenant_id: string; api_key: string };
      expect(last.tenant_id).toMatch(/^ten_/);
      const served = await serve({ TOLLGATE_DATA_DIR: dataDir });
      try {
        const meters = await connectJson(served.httpUrl, "tollgate.v1.CatalogService/ListMeters", {}, last.api_key);
        expect(meters).toEqual({ status: 200, body: {} });
      } finally {
        served.child.kill("SIGTERM");
        await served.exited;
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  const serverOnly = backends().includes("server") ? it : it.skip;
  serverOnly("on server Postgres migrates and creates tenants while a server runs", async () => {
    const db = await createServerDatabase();
    try {
      const migrate = run(["migrate"], { DATABASE_URL: db.url });
      expect(migrate.status).toBe(0);
      expect(migrate.stdout).toMatch(/applied: 2026-11-22T00-00_tenants-and-catalog/);
      const served = await serve({ DATABASE_URL: db.url });
      try {
        const created = run(["tenant", "create", "beta", "--json"], { DATABASE_URL: db.url });
        expect(created.status).toBe(0);
        const { api_key } = JSON.parse(created.stdout.trim().split("\n").at(-1) ?? "{}") as { api_key: string };
        const meter = await connectJson(served.httpUrl, "tollgate.v1.CatalogService/DefineMeter", { key: "images", unit: "image" }, api_key);
        expect(meter.body).toEqual({ meter: { key: "images", displayName: "images", unit: "image" } });
        const duplicate = run(["tenant", "create", "beta"], { DATABASE_URL: db.url });
        expect(duplicate.status).toBe(2);
        expect(duplicate.stderr).toContain('a tenant named "beta" already exists');
      } finally {
        served.child.kill("SIGTERM");
        await served.exited;
      }
    } finally {
      await db.drop();
    }
  }, 90_000);
});
