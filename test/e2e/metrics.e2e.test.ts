import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backends } from "../support/databases.js";
import { grpcService } from "../support/grpc-client.js";
import { METRICS } from "../support/metric-catalog.js";
import { seedTraffic } from "../support/observability-catalog.js";
import { startTestServer, type TestServer } from "../support/server.js";

type Sample = { name: string; labels: Record<string, string>; value: number };

/** Parses the Prometheus text exposition format (what /metrics serves). */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

describe.each(backends())("metrics on %s Postgres", (backend) => {
  let server: TestServer;
  let scrape: () => Promise<string>;

  beforeAll(async () => {
    server = await startTestServer(backend);
    const [catalog, wallet, auth, rating] = (["CatalogService", "WalletService", "AuthorizationService", "RatingService"] as const).map((s) => grpcService(server.grpcAddress, s, server.apiKey));
    await seedTraffic({ catalog: catalog!.call, wallet: wallet!.call, auth: auth!.call, rating: rating!.call });
    for (const c of [catalog, wallet, auth, rating]) c?.close();
    scrape = async () => {
      const response = await fetch(`http://127.0.0.1:${server.running.metricsPort}/metrics`);
      expect(response.status).toBe(200);
      return response.text();
    };
  }, 60_000);
  afterAll(() => server.stop());

  it("serves every metric of the catalog, with its type and only its labels", async () => {
    const { types, samples } = parseExposition(await scrape());
    for (const [name, spec] of Object.entries(METRICS)) {
      if (name === "tollgate_db_pool_connections" && backend === "embedded") continue; // no pool in-process
      expect({ name, type: types.get(name) }).toEqual({ name, type: spec.type });
      const series = samples.filter((s) => s.name === name || (spec.type === "histogram" && [`${name}_bucket`, `${name}_sum`, `${name}_count`].includes(s.name)));
      expect({ name, series: series.length > 0 }).toEqual({ name, series: true });
      for (const s of series) {
        for (const [label, value] of Object.entries(s.labels)) {
          if (label === "otel_scope_name" || label === "le") continue;
          expect({ name, label, known: label in spec.labels }).toEqual({ name, label, known: true });
          const allowed = spec.labels[label];
          if (allowed) expect(allowed).toContain(value);
        }
      }
    }
  });

  it("counts what happened: decisions by reason, rated revenue and cost by model, ingestion by status", async () => {
    const { samples } = parseExposition(await scrape());
    const value = (name: string, labels: Record<string, string>) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
    expect(value("tollgate_authorization_decisions_total", { decision: "ALLOW", reason: "NONE" })).toBe(1);
    expect(value("tollgate_authorization_decisions_total", { decision: "DENY", reason: "INSUFFICIENT_FUNDS" })).toBe(1);
    expect(value("tollgate_ingest_events_total", { status: "ACCEPTED" })).toBe(1);
    expect(value("tollgate_ingest_events_total", { status: "DUPLICATE" })).toBe(1);
    expect(value("tollgate_ingest_events_total", { status: "REJECTED" })).toBe(1);
    // Commit: 800 in + 400 out = 0.002 + 0.004 = 0.006 cost, 0.0075 charge. Ingest: 100 in = 0.00025 cost, 0.0003125 charge.
    expect(value("tollgate_rated_cost_total", { model: "gpt-4o", currency: "USD" })).toBeCloseTo(0.00625, 12);
    expect(value("tollgate_rated_charge_total", { model: "gpt-4o", currency: "USD" })).toBeCloseTo(0.0078125, 12);
    expect(value("tollgate_rated_margin_total", { model: "gpt-4o", currency: "USD" })).toBeCloseTo(0.0015625, 12);
    expect(value("tollgate_rpc_duration_seconds_count", { rpc_service: "tollgate.v1.AuthorizationService", rpc_method: "Authorize", rpc_code: "OK", transport: "grpc" })).toBe(2);
    expect(value("tollgate_wallet_write_batch_size_count", {})).toBeGreaterThan(0);
  });

  it("answers 404 off the /metrics path", async () => {
    expect((await fetch(`http://127.0.0.1:${server.running.metricsPort}/other`)).status).toBe(404);
  });

  const prometheus = spawnSync("prometheus", ["--version"], { encoding: "utf8" }).status === 0;
  if (!prometheus) console.warn("metrics: the real-Prometheus scrape is skipped: no `prometheus` on PATH (Debian package prometheus)");
  (prometheus && backend === "embedded" ? it : it.skip)("is scraped by a real Prometheus server", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tollgate-prom-"));
    const port = await freePort();
    writeFileSync(
      join(dir, "prometheus.yml"),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: tollgate\n    static_configs:\n      - targets: ["127.0.0.1:${server.running.metricsPort}"]\n`,
    );
    const child = spawn("prometheus", [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: "ignore" });
    try {
      const deadline = Date.now() + 30_000;
      let result: { metric: Record<string, string>; value: [number, string] }[] = [];
      while (Date.now() < deadline) {
        try {
          const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent('tollgate_authorization_decisions_total{decision="DENY"}')}`);
          const body = (await r.json()) as { data?: { result?: typeof result } };
          result = body.data?.result ?? [];
          if (result.length > 0) break;
        } catch {
          // not up yet
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(result.map((s) => [s.metric["reason"], s.metric["job"], s.value[1]])).toEqual([["INSUFFICIENT_FUNDS", "tollgate", "1"]]);
    } finally {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 45_000);
});
