import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { BillingInterval, CatalogService, RoutingPolicy } from "./gen/tollgate/v1/catalog_pb.js";

/** Per-token list prices: USD per 1M tokens divided by 1,000,000, written out exactly. */
const tokenCost = "input_tokens * rate_in + output_tokens * rate_out + cached_input_tokens * rate_cached";

/** Public list prices (USD per token) as published by the vendors. */
export const demoModels = [
  { key: "gpt-4o", vendor: "openai", displayName: "GPT-4o", tags: ["chat", "flagship"], rates: { rate_in: "0.0000025", rate_out: "0.00001", rate_cached: "0.00000125" } },
  { key: "gpt-4o-mini", vendor: "openai", displayName: "GPT-4o mini", tags: ["chat", "fast"], rates: { rate_in: "0.00000015", rate_out: "0.0000006", rate_cached: "0.000000075" } },
  { key: "claude-sonnet-4", vendor: "anthropic", displayName: "Claude Sonnet 4", tags: ["chat", "flagship"], rates: { rate_in: "0.000003", rate_out: "0.000015", rate_cached: "0.0000003" } },
  { key: "claude-3-5-haiku", vendor: "anthropic", displayName: "Claude 3.5 Haiku", tags: ["chat", "fast"], rates: { rate_in: "0.0000008", rate_out: "0.000004", rate_cached: "0.00000008" } },
] as const;

/**
 * Loads a small, realistic catalog through the public API of a running server: three token
 * meters, four models at their public list prices, and a "pro" plan reselling them (Claude
 * Sonnet 4 at its own per-token rates, everything else at cost plus 30%, with a minimum charge
 * per request). Every call is idempotent, so running it twice changes nothing.
 */
export async function loadDemoCatalog(baseUrl: string, apiKey: string): Promise<string> {
  const auth: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${apiKey}`);
    return next(req);
  };
  const catalog = createClient(CatalogService, createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [auth] }));

  for (const [key, displayName] of [
    ["input_tokens", "Input tokens"],
    ["output_tokens", "Output tokens"],
    ["cached_input_tokens", "Cached input tokens"],
  ] as const) {
    await catalog.defineMeter({ key, displayName, unit: "token" });
  }
  for (const m of demoModels) {
    await catalog.defineModel({ key: m.key, vendor: m.vendor, displayName: m.displayName, tags: [...m.tags], cost: { expression: tokenCost, rates: { ...m.rates } }, currency: "USD" });
  }
  await catalog.createPlan({ key: "pro", displayName: "Pro", currency: "USD" });
  const { plan } = await catalog.publishPlanVersion({
    planKey: "pro",
    version: {
      prices: [
        {
          model: "claude-sonnet-4",
          formula: { expression: tokenCost, rates: { rate_in: "0.0000036", rate_out: "0.000018", rate_cached: "0.00000036" } },
        },
        { model: "*", formula: { expression: "max(cost * markup, minimum)", rates: { markup: "1.3", minimum: "0.0001" } } },
      ],
      recurringFee: { amount: "20", currency: "USD" },
      interval: BillingInterval.MONTHLY,
      includedCredit: { amount: "5", currency: "USD" },
      overageLimit: { amount: "10", currency: "USD" },
      trialCredit: { amount: "1", currency: "USD" },
      routing: RoutingPolicy.LOWEST_COST,
    },
  });
  await catalog.createCustomer({ customerId: "acme-corp", displayName: "Acme Corp", planKey: "pro" });
  return [
    `Loaded the demo catalog into the tenant of this API key:`,
    `  meters: input_tokens, output_tokens, cached_input_tokens`,
    `  models: ${demoModels.map((m) => m.key).join(", ")} (public list prices, USD)`,
    `  plan:   pro, version ${plan?.versions.at(-1)?.version ?? "?"} (Claude Sonnet 4 at its own rates, other models at cost + 30%)`,
    `  customer: acme-corp on pro`,
    `See it: curl -s -X POST -H 'content-type: application/json' -H 'authorization: Bearer <key>' -d '{"planKey":"pro"}' ${baseUrl}/tollgate.v1.CatalogService/GetPlan`,
  ].join("\n");
}
