import type { GrpcCall } from "./grpc-client.js";

/** A small catalog and some traffic of every kind, so every metric and span has something to show. */
export async function seedTraffic(call: { catalog: GrpcCall; wallet: GrpcCall; auth: GrpcCall; rating: GrpcCall }, customer = "obs-acme"): Promise<{ reservationId: string }> {
  for (const key of ["input_tokens", "output_tokens"]) await call.catalog("DefineMeter", { key, display_name: key, unit: "token" });
  await call.catalog("DefineModel", {
    key: "gpt-4o",
    vendor: "openai",
    currency: "USD",
    cost: { expression: "input_tokens * rate_in + output_tokens * rate_out", rates: { rate_in: "0.0000025", rate_out: "0.00001" } },
  });
  await call.catalog("CreatePlan", { key: "obs-pro", currency: "USD" });
  await call.catalog("PublishPlanVersion", { plan_key: "obs-pro", version: { prices: [{ model: "gpt-4o", formula: { expression: "cost * 1.25", rates: {} } }] } });
  await call.catalog("CreateCustomer", { customer_id: customer, plan_key: "obs-pro" });
  await call.wallet("GrantCredits", { customer_id: customer, grant_id: "obs-g1", amount: { amount: "1", currency: "USD" }, source: "GRANT_SOURCE_PURCHASE" });
  const allowed = await call.auth("Authorize", { request_id: "obs-r1", customer_id: customer, model: "gpt-4o", estimated_quantities: { input_tokens: "1000", output_tokens: "500" } });
  await call.auth("Authorize", { request_id: "obs-r2", customer_id: customer, model: "gpt-4o", max_charge: { amount: "50", currency: "USD" } });
  await call.auth("Commit", { reservation_id: allowed["reservation_id"], event_id: "obs-e1", quantities: { input_tokens: "800", output_tokens: "400" } });
  const event = { event_id: "obs-e2", customer_id: customer, model: "gpt-4o", quantities: { input_tokens: "100" } };
  await call.rating("IngestUsage", { events: [event, event, { ...event, event_id: "obs-e3", customer_id: "nobody" }] });
  return { reservationId: String(allowed["reservation_id"]) };
}
