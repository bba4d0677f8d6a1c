import { exact, times, type Exact } from "./exact-decimal.js";
import type { GrpcCall } from "./grpc-client.js";

/**
 * The catalog the authorization tests work with, built through CatalogService: two token
 * meters, three models at public list prices per token, and plans that differ only where a test
 * needs them to (overage allowance, trial credit, routing policy, which models are priced).
 * Expected amounts in the tests are worked out by hand from the numbers here.
 */

export type Money = { amount: string; currency: string };
export type Timestamp = { seconds: string; nanos: number };

export const usd = (amount: string): Money => ({ amount, currency: "USD" });
/** A protobuf Timestamp as proto-loader takes it (int64 as a string). */
export const ts = (ms: number): Timestamp => ({ seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 });
export const msOf = (t: Timestamp): number => Number(t.seconds) * 1000 + Math.floor(t.nanos / 1_000_000);
export const seconds = (s: number) => ({ seconds: String(s), nanos: 0 });
export const day = 86_400_000;

/** Vendor list prices per token ($2.50/$10, $0.15/$0.60, $3/$15 per 1M). */
export const vendorRates = {
  "gpt-4o": { input_tokens: "0.0000025", output_tokens: "0.00001" },
  "gpt-4o-mini": { input_tokens: "0.00000015", output_tokens: "0.0000006" },
  "claude-sonnet-4": { input_tokens: "0.000003", output_tokens: "0.000015" },
} as const;
export type ModelKey = keyof typeof vendorRates;
export const modelKeys = Object.keys(vendorRates) as ModelKey[];

const costFormula = (model: ModelKey) => ({
  expression: "input_tokens * rate_in + output_tokens * rate_out",
  rates: { rate_in: vendorRates[model].input_tokens, rate_out: vendorRates[model].output_tokens },
});

const costPlus = { expression: "cost * 1.25", rates: {} };
/** Flat markup per call: the cheapest model (gpt-4o-mini) is not the one with the largest margin (gpt-4o). */
export const flatFees: Record<ModelKey, string> = { "claude-sonnet-4": "0.005", "gpt-4o": "0.02", "gpt-4o-mini": "0.01" };
const flat = (model: ModelKey) => ({ expression: "cost + fee", rates: { fee: flatFees[model] } });

const allCostPlus = modelKeys.map((model) => ({ model, formula: costPlus }));
const allFlat = modelKeys.map((model) => ({ model, formula: flat(model) }));

/**
 * Plans (all USD, version 1 in force since 2025-01-01):
 * - `pro`: cost * 1.25 on every model, overage_limit 0.5
 * - `prepaid`: cost * 1.25 on every model, no overage
 * - `narrow`: prices gpt-4o only (cost * 1.25), no overage
 * - `trial`: cost * 1.25, trial_credit 0.05, no overage
 * - `route-lowest` / `route-margin` / `route-first`: flat fee per call (`cost + fee`, fees in
 *   flatFees), no overage, routing LOWEST_COST / HIGHEST_MARGIN / FIRST_ALLOWED
 */
export async function defineAuthzCatalog(catalog: { call: GrpcCall }): Promise<void> {
  for (const key of ["input_tokens", "output_tokens"]) await catalog.call("DefineMeter", { key, display_name: key.replace(/_/g, " "), unit: "token" });
  for (const model of modelKeys) {
    await catalog.call("DefineModel", { key: model, vendor: model.startsWith("claude") ? "anthropic" : "openai", display_name: model, tags: ["chat"], cost: costFormula(model), currency: "USD", effective_from: ts(Date.UTC(2024, 0, 1)) });
  }
  // A fourth model, defined (so naming it is not NOT_FOUND) but priced only by `pro`.
  await catalog.call("DefineModel", { key: "gemini-pro", vendor: "google", display_name: "Gemini Pro", cost: { expression: "input_tokens * r", rates: { r: "0.0000000001" } }, currency: "USD", effective_from: ts(Date.UTC(2024, 0, 1)) });
  const plans: [string, object][] = [
    ["pro", { prices: [...allCostPlus, { model: "gemini-pro", formula: costPlus }], overage_limit: usd("0.5") }],
    ["prepaid", { prices: allCostPlus }],
    ["narrow", { prices: [{ model: "gpt-4o", formula: costPlus }] }],
    ["trial", { prices: allCostPlus, trial_credit: usd("0.05") }],
    ["route-lowest", { prices: allFlat, routing: "ROUTING_POLICY_LOWEST_COST" }],
    ["route-margin", { prices: allFlat, routing: "ROUTING_POLICY_HIGHEST_MARGIN" }],
    ["route-first", { prices: allFlat, routing: "ROUTING_POLICY_FIRST_ALLOWED" }],
  ];
  for (const [key, version] of plans) {
    await catalog.call("CreatePlan", { key, display_name: key, currency: "USD" });
    await catalog.call("PublishPlanVersion", { plan_key: key, version: { effective_from: ts(Date.UTC(2025, 0, 1)), ...version } });
  }
}

/** Creates a customer (started 40 days ago) and grants it `credits` USD when given. */
export async function customerWithCredits(
  catalog: { call: GrpcCall },
  wallet: { call: GrpcCall },
  id: string,
  plan: string,
  credits: string | undefined,
  extra: object = {},
): Promise<void> {
  await catalog.call("CreateCustomer", { customer_id: id, plan_key: plan, started_at: ts(Date.now() - 40 * day), ...extra });
  if (credits !== undefined) await wallet.call("GrantCredits", { customer_id: id, grant_id: `${id}-credits`, amount: usd(credits), source: "GRANT_SOURCE_PURCHASE" });
}

/** Vendor cost of token usage on `model`, exactly (independent of the server). */
export function costOf(model: ModelKey, quantities: { input_tokens?: string; output_tokens?: string }): Exact {
  let cost = 0n;
  for (const meter of ["input_tokens", "output_tokens"] as const) {
    const q = quantities[meter];
    if (q !== undefined) cost += times(exact(q), exact(vendorRates[model][meter]));
  }
  return cost;
}

/** What the cost-plus plans (`pro`, `prepaid`, `trial`) charge, exactly. */
export const costPlusCharge = (model: ModelKey, quantities: { input_tokens?: string; output_tokens?: string }): Exact => times(costOf(model, quantities), exact("1.25"));

/** The reservation id Tollgate issues for a request: `rsv.<base64url customer>.<base64url request>`. */
export const reservationIdOf = (customerId: string, requestId: string): string =>
  `rsv.${Buffer.from(customerId).toString("base64url")}.${Buffer.from(requestId).toString("base64url")}`;
