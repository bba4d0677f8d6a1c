import { describe, expect, it } from "@jest/globals";
import type { CatalogRepository } from "../../../src/application/ports/catalog-repository.js";
import type { UsageLog, UsageLogHasher } from "../../../src/application/ports/usage-log.js";
import { FormulaCache } from "../../../src/application/rating/formula-cache.js";
import { IngestionGate } from "../../../src/application/rating/ingestion-gate.js";
import { InFlightIds } from "../../../src/application/rating/in-flight-ids.js";
import { IngestUsage } from "../../../src/application/rating/ingest-usage.js";
import type { WalletWriter } from "../../../src/application/wallet/wallet-writer.js";

const now = new Date("2026-12-01T10:00:00Z");
const stop = () => Promise.reject(new Error("the test stops the call here"));
/** A catalog that ends the call as soon as it is read: only what happens before matters here. */
const stoppingCatalog = { listMeters: stop, listModels: stop, listPlans: stop } as unknown as CatalogRepository;
const unused = <T>(what: string): T =>
  new Proxy({}, { get: () => () => { throw new Error(`${what} is not used before the catalog is read`); } }) as T;

describe("an ingestion call's place in the event loop", () => {
  it("lets work queued for the end of the turn (the wallet writer's next flush) run before it starts on its events", async () => {
    const order: string[] = [];
    const clock = {
      now: () => {
        order.push("call starts");
        return now;
      },
    };
    const ingest = new IngestUsage(stoppingCatalog, new FormulaCache(), unused<UsageLog>("the usage log"), unused<UsageLogHasher>("the hasher"), unused<WalletWriter>("the wallet writer"), new InFlightIds(), new IngestionGate(2_000), clock, { latenessMs: 86_400_000, futureSkewMs: 300_000 });
    setImmediate(() => order.push("queued flush"));
    const call = ingest.execute("t1", [{ eventId: "e1", customerId: "c1", model: "m", occurredAt: undefined, quantities: { tokens: "1" }, attributes: {} }]);
    await expect(call).rejects.toThrow("the test stops the call here");
    expect(order).toEqual(["queued flush", "call starts"]);
  });
});
