import { describe, expect, it } from "@jest/globals";
import { costVersionAt, decideDefineModel, type DefineModelInput, type Model } from "../../../../src/domain/catalog/model.js";
import { at, meters, now } from "./fixtures.js";

const gpt4o = (overrides: Partial<DefineModelInput> = {}): DefineModelInput => ({
  key: "gpt-4o",
  vendor: "openai",
  displayName: "GPT-4o",
  tags: ["chat"],
  cost: { expression: "input_tokens * rate_in + output_tokens * rate_out", rates: { rate_in: "0.0000025", rate_out: "0.00001" } },
  currency: "USD",
  effectiveFrom: at("2026-01-01T00:00:00Z"),
  ...overrides,
});

function created(): Model {
  const d = decideDefineModel(gpt4o(), undefined, meters, now);
  if (!d.ok || d.value.kind !== "create") throw new Error("expected create");
  return d.value.model;
}

describe("defining a model", () => {
  it("creates cost version 1 from effective_from", () => {
    const model = created();
    expect(model.costVersions.map((v) => [v.version, v.effectiveFrom.toISOString()])).toEqual([[1, "2026-01-01T00:00:00.000Z"]]);
  });

  it("refuses a cost formula that uses cost", () => {
    const d = decideDefineModel(gpt4o({ cost: { expression: "cost * 2", rates: {} } }), undefined, meters, now);
    expect(!d.ok && d.error.field).toBe("cost.expression");
    expect(!d.ok && d.error.description).toMatch(/cost/);
  });

  it("adds a cost version when the vendor reprices from a later date", () => {
    const reprice = decideDefineModel(gpt4o({ cost: { expression: "input_tokens * 0.000002", rates: {} }, effectiveFrom: at("2026-08-01T00:00:00Z") }), created(), meters, now);
    expect(reprice.ok && reprice.value.kind === "update" && reprice.value.costVersion?.version).toBe(2);
  });

  it("changes nothing when the same definition is sent again", () => {
    expect(decideDefineModel(gpt4o(), created(), meters, now)).toEqual({ ok: true, value: { kind: "unchanged", model: created() } });
    expect(decideDefineModel(gpt4o({ effectiveFrom: undefined }), created(), meters, now).ok && true).toBe(true);
  });

  it("updates tags without a new cost version", () => {
    const d = decideDefineModel(gpt4o({ tags: ["chat", "flagship"] }), created(), meters, now);
    expect(d.ok && d.value.kind === "update" && d.value.costVersion).toBeUndefined();
    expect(d.ok && d.value.model.tags).toEqual(["chat", "flagship"]);
  });

  it("refuses a reprice that does not start after the latest cost version", () => {
    const d = decideDefineModel(gpt4o({ cost: { expression: "input_tokens", rates: {} }, effectiveFrom: at("2025-06-01T00:00:00Z") }), created(), meters, now);
    expect(!d.ok && d.error.field).toBe("effective_from");
  });

  it.each([
    ["key", gpt4o({ key: "-bad" })],
    ["tags[0]", gpt4o({ tags: ["Has Space"] })],
    ["currency", gpt4o({ currency: "usd" })],
    ["effective_from", gpt4o({ effectiveFrom: at("1970-01-02T00:00:00Z") })],
    ["cost.rates.rate_in", gpt4o({ cost: { expression: "input_tokens * rate_in", rates: { rate_in: "abc" } } })],
  ])("names %s when it is invalid", (field, input) => {
    const d = decideDefineModel(input, undefined, meters, now);
    expect(!d.ok && d.error.field).toBe(field);
  });

  it("costs late usage with the version in force when it happened", () => {
    const v1 = created();
    const d = decideDefineModel(gpt4o({ cost: { expression: "input_tokens * 0.000002", rates: {} }, effectiveFrom: at("2026-08-01T00:00:00Z") }), v1, meters, now);
    if (!d.ok) throw new Error("expected ok");
    expect(costVersionAt(d.value.model, at("2026-07-31T23:59:59Z"))?.version).toBe(1);
    expect(costVersionAt(d.value.model, at("2026-08-01T00:00:00Z"))?.version).toBe(2);
  });
});
