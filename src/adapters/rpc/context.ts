import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Principal } from "../../application/tenants/authenticate.js";
import { assert } from "../../domain/assert.js";

/** The authenticated caller, set by the auth step of the call pipeline before any handler runs. */
export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "authenticated principal" });

/** The caller's tenant; only reachable from handlers behind authentication. */
export function tenantOf(ctx: HandlerContext): string {
  const principal = ctx.values.get(principalKey);
  assert(principal, "handler reached without an authenticated principal");
  return principal.tenantId;
}

/** Which port a call came in on: "grpc" (grpc-js) or "http" (connect-node: Connect, gRPC-Web, gRPC over h2c). */
export const transportKey = createContextKey<"grpc" | "http">("http", { description: "serving transport" });
