import { exact, times, type Exact } from "./exact-decimal.js";
import type { GrpcCall } from "./grpc-client.js";

/**
 * The catalog the rating tests price with: three token meters, two models at their public list
 * prices per token, and a cost-plus plan. Expected charges are computed here independently of
 * the server, with exact decimals.
 */

export type Meter = "input_tokens" | "output_tokens" | "cached_input_tokens";
export const meterKeys: readonly Meter[] = ["input_tokens", "output_tokens", "cached_input_tokens"];

/** Vendor list prices per token: $2.50/$10/$1.25 and $3/$15/$0.30 per 1M. */
export const vendorRates = {
  "gpt-4o": { input_tokens: "0.0000025", output_tokens: "0.00001", cached_input_tokens: "0.00000125" },
  "claude-sonnet-4": { input_tokens: "0.000003", output_tokens: "0.000015", cached_input_tokens: "0.0000003" },
} as const;
export type ModelKey = keyof typeof vendorRates;

export const costFormula = (model: ModelKey) => ({
  expression: "input_tokens * rate_in + output_tokens * rate_out + cached_input_tokens * rate_cached",
  rates: { rate_in: vendorRates[model].input_tokens, rate_out: vendorRates[model].output_tokens, rate_cached: vendorRates[model].cached_input_tokens },
});

export const markup = "1.25";
export const costPlus = { expression: `cost * ${markup}`, rates: {} };

/** A protobuf Timestamp as proto-loader takes it (int64 as a string). */
export const ts = (ms: number) => ({ seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 });
export const msOf = (t: { seconds: string; nanos: number }) => Number(t.seconds) * 1000 + Math.floor(t.nanos / 1_000_000);

/** Vendor cost of `quantities` on `model`, exactly. */
export function expectedCost(model: ModelKey, quantities: Partial<Record<Meter, string>>): Exact {
  let cost = 0n;
  for (const meter of meterKeys) {
    const q = quantities[meter];
    if (q !== undefined) cost += times(exact(q), exact(vendorRates[model][meter]));
  }
  return cost;
}

/** What the cost-plus plan charges, exactly. */
export const expectedCharge = (model: ModelKey, quantities: Partial<Record<Meter, string>>, factor = markup): Exact => times(expectedCost(model, quantities), exact(factor));

/**
 * Defines the meters and both models (cost in force since 2024) and the cost-plus plan `pro`
 * (version 1 in force since 2025) through CatalogService over gRPC.
 */
export async function defineRatingCatalog(catalog: { call: GrpcCall }, options: { overageLimit?: string } = {}): Promise<void> {
  for (const key of meterKeys) await catalog.call("DefineMeter", { key, display_name: key.replace(/_/g, " "), unit: "token" });
  await catalog.call("DefineModel", { key: "gpt-4o", vendor: "openai", display_name: "GPT-4o", tags: ["chat"], cost: costFormula("gpt-4o"), currency: "USD", effective_from: ts(Date.UTC(2024, 0, 1)) });
  await catalog.call("DefineModel", { key: "claude-sonnet-4", vendor: "anthropic", display_name: "Claude Sonnet 4", tags: ["chat"], cost: costFormula("claude-sonnet-4"), currency: "USD", effective_from: ts(Date.UTC(2024, 0, 1)) });
  await catalog.call("CreatePlan", { key: "pro", display_name: "Pro", currency: "USD" });
  await catalog.call("PublishPlanVersion", {
    plan_key: "pro",
    version: {
      effective_from: ts(Date.UTC(2025, 0, 1)),
      prices: [
        { model: "gpt-4o", formula: costPlus },
        { model: "claude-sonnet-4", formula: costPlus },
      ],
      ...(options.overageLimit ? { overage_limit: { amount: options.overageLimit, currency: "USD" } } : {}),
    },
  });
}
