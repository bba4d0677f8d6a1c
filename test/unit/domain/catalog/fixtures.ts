import { Decimal } from "../../../../src/domain/money/decimal.js";
import type { Customer } from "../../../../src/domain/catalog/customer.js";
import type { Plan, PlanVersionInput } from "../../../../src/domain/catalog/plan.js";

/** Object mothers for catalog specifications. */
export const at = (iso: string): Date => new Date(iso);
export const now = at("2026-11-22T12:00:00Z");
export const meters = new Set(["input_tokens", "output_tokens", "cached_input_tokens"]);
export const models = new Map([
  ["gpt-4o", "USD"],
  ["claude-sonnet-4", "USD"],
  ["euro-model", "EUR"],
]);

export const dec = (text: string): Decimal => {
  const parsed = Decimal.parse(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

export const proPlan = (versions: Plan["versions"] = []): Plan => ({ key: "pro", displayName: "Pro", currency: "USD", createdAt: at("2026-01-01T00:00:00Z"), versions });

export const versionInput = (overrides: Partial<PlanVersionInput> = {}): PlanVersionInput => ({
  effectiveFrom: undefined,
  prices: [
    { model: "gpt-4o", formula: { expression: "input_tokens * rate_in + output_tokens * rate_out", rates: { rate_in: "0.000003", rate_out: "0.000012" } } },
    { model: "*", formula: { expression: "cost * 1.25", rates: {} } },
  ],
  recurringFee: { amount: "20", currency: "USD" },
  interval: undefined,
  includedCredit: undefined,
  overageLimit: { amount: "10", currency: "" },
  trialCredit: undefined,
  routing: undefined,
  ...overrides,
});

export const customerOn = (planKey: string, startedAt: Date): Customer => ({
  id: "c-1",
  displayName: "C",
  status: "ACTIVE",
  trialEndsAt: undefined,
  fingerprint: "",
  limits: { dailySpendCap: Decimal.ZERO, monthlySpendCap: Decimal.ZERO, maxConcurrentReservations: 0, maxAuthorizationsPerSecond: 0 },
  subscriptions: [{ planKey, startedAt }],
  createdAt: startedAt,
  updatedAt: startedAt,
});
