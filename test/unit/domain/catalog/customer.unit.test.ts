import { describe, expect, it } from "@jest/globals";
import { decideChangePlan, newCustomer, subscriptionAt, validateLimits, type CreateCustomerInput } from "../../../../src/domain/catalog/customer.js";
import { parseCatalogKey, parseExternalId, parseMeterKey } from "../../../../src/domain/catalog/keys.js";
import { at, customerOn, now } from "./fixtures.js";

const input = (overrides: Partial<CreateCustomerInput> = {}): CreateCustomerInput => ({
  customerId: "c-1",
  displayName: "",
  planKey: "pro",
  startedAt: undefined,
  trialEndsAt: undefined,
  fingerprint: "",
  limits: undefined,
  ...overrides,
});

describe("customers", () => {
  it("start on their plan now by default, named by their id, active, without limits", () => {
    const c = newCustomer(input(), "USD", now);
    expect(c.ok && c.value.subscriptions).toEqual([{ planKey: "pro", startedAt: now }]);
    expect(c.ok && c.value.displayName).toBe("c-1");
    expect(c.ok && c.value.status).toBe("ACTIVE");
  });

  it("refuses a trial that ends before it starts", () => {
    const c = newCustomer(input({ startedAt: at("2026-11-01T00:00:00Z"), trialEndsAt: at("2026-10-01T00:00:00Z") }), "USD", now);
    expect(!c.ok && c.error.field).toBe("trial_ends_at");
  });

  it("refuse caps in another currency and negative counts", () => {
    const caps = validateLimits("limits", { dailySpendCap: { amount: "5", currency: "EUR" }, monthlySpendCap: undefined, maxConcurrentReservations: 0, maxAuthorizationsPerSecond: 0 }, "USD");
    expect(!caps.ok && caps.error.field).toBe("limits.daily_spend_cap.currency");
    const negative = validateLimits("limits", { dailySpendCap: undefined, monthlySpendCap: undefined, maxConcurrentReservations: -1, maxAuthorizationsPerSecond: 0 }, "USD");
    expect(!negative.ok && negative.error.field).toBe("limits.max_concurrent_reservations");
  });

  it("change plan from a later instant, keeping the earlier plan for earlier usage", () => {
    const c = customerOn("pro", at("2026-10-01T00:00:00Z"));
    const change = decideChangePlan(c, { planKey: "team", currency: "USD" }, "USD", at("2026-11-15T00:00:00Z"), now);
    expect(change).toEqual({ ok: true, value: { kind: "append", subscription: { planKey: "team", startedAt: at("2026-11-15T00:00:00Z") } } });
    const moved = { ...c, subscriptions: [...c.subscriptions, { planKey: "team", startedAt: at("2026-11-15T00:00:00Z") }] };
    expect(subscriptionAt(moved, at("2026-11-14T23:59:59Z"))?.planKey).toBe("pro");
    expect(subscriptionAt(moved, at("2026-11-15T00:00:00Z"))?.planKey).toBe("team");
    expect(subscriptionAt(moved, at("2026-09-30T00:00:00Z"))).toBeUndefined();
  });

  it("cannot change plan to before the current subscription started, or switch currency", () => {
    const c = customerOn("pro", at("2026-10-01T00:00:00Z"));
    const early = decideChangePlan(c, { planKey: "team", currency: "USD" }, "USD", at("2026-09-01T00:00:00Z"), now);
    expect(!early.ok && early.error.kind).toBe("invalid");
    const currency = decideChangePlan(c, { planKey: "euro", currency: "EUR" }, "USD", undefined, now);
    expect(!currency.ok && currency.error.kind).toBe("precondition");
  });

  it("treat a repeated change to the current plan at its start as a retry", () => {
    const c = customerOn("pro", at("2026-10-01T00:00:00Z"));
    expect(decideChangePlan(c, { planKey: "pro", currency: "USD" }, "USD", at("2026-10-01T00:00:00Z"), now)).toEqual({ ok: true, value: { kind: "unchanged" } });
    const other = decideChangePlan(c, { planKey: "pro", currency: "USD" }, "USD", at("2026-11-01T00:00:00Z"), now);
    expect(!other.ok && other.error.kind).toBe("precondition");
  });
});

describe("keys", () => {
  it.each([["input_tokens", true], ["Input", false], ["1tokens", false], ["cost", false], ["a".repeat(129), false], ["", false]])("meter key %s valid: %s", (key, valid) => {
    expect(parseMeterKey("key", key).ok).toBe(valid);
  });
  it.each([["gpt-4o", true], ["anthropic/claude-3.5:beta", true], ["-x", false], ["has space", false]])("model or plan key %s valid: %s", (key, valid) => {
    expect(parseCatalogKey("key", key).ok).toBe(valid);
  });
  it.each([["user@example.com", true], ["with space", false], ["ünïcode", false]])("customer id %s valid: %s", (id, valid) => {
    expect(parseExternalId("customer_id", id).ok).toBe(valid);
  });
});
