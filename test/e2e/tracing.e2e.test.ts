import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../support/server.js";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const callerSpanId = "00f067aa0ba902b7";

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe("tracing", () => {
  const exporter = new InMemorySpanExporter();
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer("embedded", { spanExporter: exporter });
  }, 60_000);
  afterAll(() => server.stop());

  it("continues the caller's traceparent: RPC span, then use case span, then one span per SQL statement", async () => {
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${server.apiKey}`);
    metadata.set("traceparent", `00-${traceId}-${callerSpanId}-01`);
    // A raw grpc-js client, so the traceparent header is exactly the caller's.
    const definition = loadSync("tollgate/v1/catalog.proto", { includeDirs: [join(process.cwd(), "proto")], keepCase: true });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as { tollgate: { v1: { CatalogService: grpc.ServiceClientConstructor } } };
    const client = new pkg.tollgate.v1.CatalogService(server.grpcAddress, grpc.credentials.createInsecure());
    exporter.reset();
    await new Promise<void>((resolve, reject) =>
      (client as unknown as { DefineMeter: (r: object, m: grpc.Metadata, cb: (e: Error | null) => void) => void }).DefineMeter(
        { key: "parented_tokens", display_name: "Parented", unit: "token" },
        metadata,
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    client.close();

    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const rpc = spans.find((s) => s.name === "tollgate.v1.CatalogService/DefineMeter");
    expect(rpc).toBeDefined();
    expect(parentOf(rpc!)).toBe(callerSpanId);
    expect(rpc!.attributes["rpc.system"]).toBe("grpc");
    expect(typeof rpc!.attributes["tollgate.tenant_id"]).toBe("string");

    const useCase = spans.find((s) => s.name === "usecase DefineMeter");
    expect(useCase).toBeDefined();
    expect(parentOf(useCase!)).toBe(rpc!.spanContext().spanId);

    // The API key lookup (first use of the key) runs under the RPC span, before the use case.
    const queries = spans.filter((s) => s.name.startsWith("db "));
    for (const q of queries) expect([useCase!.spanContext().spanId, rpc!.spanContext().spanId]).toContain(parentOf(q));
    const insert = queries.find((q) => String(q.attributes["db.query.text"]).includes('insert into "meters"'));
    expect(insert && parentOf(insert)).toBe(useCase!.spanContext().spanId);
  });

  it("writes JSON logs carrying the call's trace id", async () => {
    const line = server.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l["method"] === "tollgate.v1.CatalogService/DefineMeter" && l["trace_id"] === traceId);
    expect(line).toBeDefined();
    expect(line?.["code"]).toBe("OK");
    expect(JSON.stringify(server.logs)).not.toContain(server.apiKey);
  });
});
