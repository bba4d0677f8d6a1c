import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as grpc from "@grpc/grpc-js";
import { createServer, type Server } from "node:http";
import { grpcService } from "../support/grpc-client.js";
import { seedTraffic } from "../support/observability-catalog.js";
import { startTestServer, type TestServer } from "../support/server.js";

type OtlpAttribute = { key: string; value: { stringValue?: string; intValue?: string | number; boolValue?: boolean } };
type OtlpSpan = { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: OtlpAttribute[] };
type OtlpExport = { resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[] };

const clientSpanId = "00f067aa0ba902b7";
const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes?.find((a) => a.key === key)?.value;
  return v?.stringValue ?? v?.intValue ?? v?.boolValue;
};

/**
 * The server exports spans over OTLP/HTTP (as it would to a collector) to a receiver in this
 * test; the caller's span is the parent of the trace through its traceparent header.
 */
describe("traces exported over OTLP/HTTP", () => {
  const spans: OtlpSpan[] = [];
  const contentTypes: string[] = [];
  let receiver: Server;
  let server: TestServer;
  const saved = { ...process.env };

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        contentTypes.push(String(req.headers["content-type"]));
        if (req.url === "/v1/traces" && String(req.headers["content-type"]).includes("json")) {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpExport;
          for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", () => resolve()));
    const endpoint = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
    // The OTLP exporter reads the standard variables from the process environment.
    Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: "50", OTEL_METRICS_EXPORTER: "none" });
    server = await startTestServer("embedded", { env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_METRICS_EXPORTER: "none" } });
  }, 60_000);
  afterAll(async () => {
    await server.stop();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    process.env = saved;
  });

  const traced = (traceId: string) => {
    const metadata = new grpc.Metadata();
    metadata.set("traceparent", `00-${traceId}-${clientSpanId}-01`);
    return metadata;
  };

  it("one trace runs from the caller's span through the RPC and use case to the SQL, with tenant, customer, model and decision", async () => {
    const call = (s: "CatalogService" | "WalletService" | "AuthorizationService" | "RatingService") => grpcService(server.grpcAddress, s, server.apiKey).call;
    const { reservationId } = await seedTraffic({ catalog: call("CatalogService"), wallet: call("WalletService"), auth: call("AuthorizationService"), rating: call("RatingService") }, "otlp-acme");
    const authorizeTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const commitTrace = "5bf92f3577b34da6a3ce929d0e0e4737";
    const auth = grpcService(server.grpcAddress, "AuthorizationService", server.apiKey);
    await auth.call("Authorize", { request_id: "otlp-r9", customer_id: "otlp-acme", model: "gpt-4o", max_charge: { amount: "0.01", currency: "USD" } }, { metadata: traced(authorizeTrace) });
    await auth.call("Commit", { reservation_id: reservationId, event_id: "otlp-e9", quantities: { input_tokens: "10" } }, { metadata: traced(commitTrace) });
    auth.close();

    const deadline = Date.now() + 10_000;
    const of = (traceId: string) => spans.filter((s) => s.traceId === traceId);
    while (Date.now() < deadline && (!of(authorizeTrace).some((s) => s.name === "usecase Authorize") || !of(commitTrace).some((s) => s.name.startsWith("db ")))) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(contentTypes.some((c) => c.includes("json"))).toBe(true);

    const rpc = of(authorizeTrace).find((s) => s.name === "tollgate.v1.AuthorizationService/Authorize");
    expect(rpc?.parentSpanId).toBe(clientSpanId);
    expect(typeof attr(rpc!, "tollgate.tenant_id")).toBe("string");
    expect(attr(rpc!, "tollgate.customer_id")).toBe("otlp-acme");
    expect(attr(rpc!, "tollgate.model")).toBe("gpt-4o");
    expect(attr(rpc!, "tollgate.decision")).toBe("ALLOW");
    const useCase = of(authorizeTrace).find((s) => s.name === "usecase Authorize");
    expect(useCase?.parentSpanId).toBe(rpc?.spanId);

    const commitRpc = of(commitTrace).find((s) => s.name === "tollgate.v1.AuthorizationService/Commit");
    expect(commitRpc?.parentSpanId).toBe(clientSpanId);
    expect(attr(commitRpc!, "tollgate.customer_id")).toBe("otlp-acme");
    const commitUseCase = of(commitTrace).find((s) => s.name === "usecase Commit");
    expect(commitUseCase?.parentSpanId).toBe(commitRpc?.spanId);
    const sql = of(commitTrace).filter((s) => s.name.startsWith("db "));
    expect(sql.length).toBeGreaterThan(0);
    expect(sql.some((s) => s.parentSpanId === commitUseCase?.spanId && String(attr(s, "db.query.text")).includes("usage_events"))).toBe(true);
  }, 30_000);
});
