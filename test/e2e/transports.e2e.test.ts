import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { loadSync } from "@grpc/proto-loader";
import { join } from "node:path";
import { CatalogService } from "../../src/gen/tollgate/v1/catalog_pb.js";
import { connectJson, grpcService } from "../support/grpc-client.js";
import { startTestServer, type TestServer } from "../support/server.js";

const bearer = (key: string): Interceptor => (next) => (req) => {
  req.header.set("authorization", `Bearer ${key}`);
  return next(req);
};

describe("one implementation, every transport", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer("embedded");
  }, 60_000);
  afterAll(() => server.stop());

  const transports: [string, (url: string, key: string) => Transport][] = [
    ["Connect binary over HTTP/1.1", (baseUrl, key) => createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true, interceptors: [bearer(key)] })],
    ["Connect JSON over HTTP/2", (baseUrl, key) => createConnectTransport({ baseUrl, httpVersion: "2", interceptors: [bearer(key)] })],
    ["gRPC-Web over HTTP/1.1", (baseUrl, key) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer(key)] })],
    ["gRPC over HTTP/2 on the HTTP port", (baseUrl, key) => createGrpcTransport({ baseUrl, interceptors: [bearer(key)] })],
  ];

  it.each(transports)("%s defines and lists meters", async (name, make) => {
    const client = createClient(CatalogService, make(server.httpUrl, server.apiKey));
    const key = `m_${name.replace(/[^a-z0-9]/gi, "_").toLowerCase()}`;
    const { meter } = await client.defineMeter({ key, unit: "token" });
    expect(meter?.key).toBe(key);
    const { meters } = await client.listMeters({});
    expect(meters.map((m) => m.key)).toContain(key);
  });

  it("maps refusals to the same codes on both ports", async () => {
    const client = createClient(CatalogService, createGrpcTransport({ baseUrl: server.httpUrl, interceptors: [bearer(server.apiKey)] }));
    const onHttp = await client.getPlan({ planKey: "nope" }).catch((e: unknown) => ConnectError.from(e));
    const catalog = grpcService(server.grpcAddress, "CatalogService", server.apiKey);
    const onGrpc = await catalog.call("GetPlan", { plan_key: "nope" }).catch((e: grpc.ServiceError) => e);
    catalog.close();
    expect(onHttp instanceof ConnectError && onHttp.code).toBe(Code.NotFound);
    expect((onGrpc as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    expect((onGrpc as grpc.ServiceError).details).toBe((onHttp as ConnectError).rawMessage);
  });

  it("sends field violations as a google.rpc.BadRequest detail on the gRPC port", async () => {
    const catalog = grpcService(server.grpcAddress, "CatalogService", server.apiKey);
    const error = (await catalog.call("DefineMeter", { key: "Bad Key" }).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
    catalog.close();
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toMatch(/^key: /);
    const raw = error.metadata.get("grpc-status-details-bin")[0] as Buffer;
    expect(raw.toString("latin1")).toContain("google.rpc.BadRequest");
  });

  it("honours the caller's deadline", async () => {
    const catalog = grpcService(server.grpcAddress, "CatalogService", server.apiKey);
    const error = (await catalog.call("ListPlans", {}, { deadlineMs: -1 }).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
    catalog.close();
    expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it("refuses requests over the 4 MiB limit on both ports", async () => {
    const big = "x".repeat(5 * 1024 * 1024);
    const catalog = grpcService(server.grpcAddress, "CatalogService", server.apiKey);
    const onGrpc = (await catalog.call("DefineMeter", { key: "big", display_name: big }).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
    catalog.close();
    expect(onGrpc.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const onHttp = await connectJson(server.httpUrl, "tollgate.v1.CatalogService/DefineMeter", { key: "big", displayName: big }, server.apiKey);
    expect(onHttp.body["code"]).toBe("resource_exhausted");
    const meters = await connectJson(server.httpUrl, "tollgate.v1.CatalogService/ListMeters", {}, server.apiKey);
    expect(JSON.stringify(meters.body)).not.toContain('"big"');
  });

  it("serves grpc.health.v1 and server reflection (v1 and v1alpha) on the gRPC port", async () => {
    const root = join(process.cwd(), "node_modules", "@grpc", "reflection", "build", "proto");
    for (const version of ["v1", "v1alpha"]) {
      const definition = loadSync(`grpc/reflection/${version}/reflection.proto`, { includeDirs: [root], keepCase: true });
      const pkg = grpc.loadPackageDefinition(definition) as unknown as { grpc: { reflection: Record<string, { ServerReflection: grpc.ServiceClientConstructor }> } };
      const Reflection = pkg.grpc.reflection[version]?.ServerReflection;
      if (!Reflection) throw new Error(`no reflection ${version}`);
      const client = new Reflection(server.grpcAddress, grpc.credentials.createInsecure());
      const call = (client as unknown as { ServerReflectionInfo: () => grpc.ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }> }).ServerReflectionInfo();
      const answer = new Promise<string[]>((resolve, reject) => {
        call.on("data", (m) => resolve((m.list_services_response?.service ?? []).map((s: { name: string }) => s.name)));
        call.on("error", reject);
      });
      call.write({ list_services: "" });
      const services = await answer;
      call.end();
      client.close();
      expect(services).toEqual(expect.arrayContaining(["tollgate.v1.CatalogService", "tollgate.v1.AuthorizationService"]));
    }
    // A client resolving a method needs the file defining the service and every file it
    // imports, down to the well-known types.
    const definition = loadSync("grpc/reflection/v1/reflection.proto", { includeDirs: [root], keepCase: true });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as { grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } } };
    const client1 = new pkg.grpc.reflection.v1.ServerReflection(server.grpcAddress, grpc.credentials.createInsecure());
    type FileAnswer = { file_descriptor_response?: { file_descriptor_proto: Buffer[] }; error_response?: { error_message: string } };
    const ask = (request: object) =>
      new Promise<FileAnswer>((resolve, reject) => {
        const call = (client1 as unknown as { ServerReflectionInfo: () => grpc.ClientDuplexStream<object, FileAnswer> }).ServerReflectionInfo();
        call.on("data", (m) => {
          resolve(m);
          call.end();
        });
        call.on("error", reject);
        call.write(request);
      });
    const decoded = (a: FileAnswer) => (a.file_descriptor_response?.file_descriptor_proto ?? []).map((b) => fromBinary(FileDescriptorProtoSchema, new Uint8Array(b)));
    const rating = decoded(await ask({ file_containing_symbol: "tollgate.v1.RatingService" }));
    const names = rating.map((f) => f.name);
    expect(names).toContain("tollgate/v1/rating.proto");
    expect(rating.find((f) => f.name === "tollgate/v1/rating.proto")?.dependency).toEqual(expect.arrayContaining(["google/protobuf/timestamp.proto", "tollgate/v1/common.proto"]));
    for (const dependency of ["google/protobuf/timestamp.proto", "google/protobuf/duration.proto", "tollgate/v1/common.proto"]) {
      const file = decoded(await ask({ file_by_filename: dependency }));
      expect(file.map((f) => f.name)).toContain(dependency);
    }
    client1.close();

    const healthDef = loadSync("grpc/health/v1/health.proto", { includeDirs: [join(process.cwd(), "third_party", "proto")], keepCase: true, enums: String });
    const health = grpc.loadPackageDefinition(healthDef) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
    const client = new health.grpc.health.v1.Health(server.grpcAddress, grpc.credentials.createInsecure());
    const status = await new Promise<{ status: string }>((resolve, reject) =>
      (client as unknown as { Check: (r: object, cb: (e: Error | null, v: { status: string }) => void) => void }).Check({ service: "" }, (e, v) => (e ? reject(e) : resolve(v))),
    );
    client.close();
    expect(status.status).toBe("SERVING");
  });
});
