import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..", "..");

/**
 * A plain @grpc/grpc-js client built from proto/ at runtime with proto-loader: nothing Tollgate
 * generated or wrote is involved, as for any third-party gRPC caller.
 */
const definition = loadSync(
  ["tollgate/v1/catalog.proto", "tollgate/v1/rating.proto", "tollgate/v1/wallet.proto", "tollgate/v1/authorization.proto"],
  { includeDirs: [join(root, "proto")], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true },
);
const loaded = grpc.loadPackageDefinition(definition) as unknown as {
  tollgate: { v1: Record<string, grpc.ServiceClientConstructor> };
};

export type GrpcCall = (method: string, request: object, options?: { apiKey?: string | null; deadlineMs?: number; metadata?: grpc.Metadata }) => Promise<Record<string, unknown>>;

/** Promise-style unary calls on one service; `apiKey: null` sends no credentials. */
export function grpcService(address: string, service: "CatalogService" | "RatingService" | "WalletService" | "AuthorizationService", apiKey: string) {
  const Client = loaded.tollgate.v1[service];
  if (!Client) throw new Error(`no ${service} in proto/`);
  const client = new Client(address, grpc.credentials.createInsecure());
  const call: GrpcCall = (method, request, options = {}) =>
    new Promise((resolve, reject) => {
      const metadata = options.metadata?.clone() ?? new grpc.Metadata();
      const key = options.apiKey === undefined ? apiKey : options.apiKey;
      if (key !== null) metadata.set("authorization", `Bearer ${key}`);
      const fn = (client as unknown as Record<string, (...args: unknown[]) => unknown>)[method];
      if (!fn) throw new Error(`${service} has no method ${method}`);
      const callOptions = options.deadlineMs ? { deadline: Date.now() + options.deadlineMs } : {};
      fn.call(client, request, metadata, callOptions, (error: grpc.ServiceError | null, response: Record<string, unknown>) =>
        error ? reject(error) : resolve(response),
      );
    });
  return { call, close: () => client.close() };
}

/** Calls a Connect JSON endpoint the way curl would. */
export async function connectJson(
  httpUrl: string,
  path: string,
  body: unknown,
  apiKey: string | null,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (apiKey !== null) headers["authorization"] = `Bearer ${apiKey}`;
  const response = await fetch(`${httpUrl}/${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
