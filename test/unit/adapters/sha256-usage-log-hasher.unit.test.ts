import { describe, expect, it } from "@jest/globals";
import { createHash } from "node:crypto";
import fc from "fast-check";
import type { SubmittedContent, UsageRecord } from "../../../src/application/ports/usage-log.js";
import { Sha256UsageLogHasher } from "../../../src/adapters/system/sha256-usage-log-hasher.js";
import { Decimal } from "../../../src/domain/money/decimal.js";
import { dec } from "../domain/catalog/fixtures.js";

/*
 * The hashes stored chains were written with: SHA-256 over JSON.stringify of fixed arrays. The
 * hasher assembles the same texts by hand; these references hold it to them byte for byte, so
 * every chain recorded before keeps verifying.
 */
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
const pairs = (m: Readonly<Record<string, string>>) => Object.keys(m).sort().map((k) => [k, m[k]]);
const referenceRecordHash = (prev: string, r: UsageRecord, seq: number) =>
  sha256(
    `${prev}\n${JSON.stringify([
      "usage-record-v1", r.tenantId, r.eventId, r.customerId, r.model, r.occurredAt.getTime(), r.receivedAt.getTime(),
      pairs(r.quantities), pairs(r.attributes), r.charge.toString(), r.currency, r.cost.toString(), r.costCurrency, r.planKey,
      r.planVersion, r.costVersion, r.periodStart.getTime(), r.reservationId ?? null, r.released?.toString() ?? null,
      r.overage?.toString() ?? null, r.contentHash, seq,
    ])}`,
  );
const referenceContentHash = (c: SubmittedContent) =>
  sha256(JSON.stringify(["usage-content-v1", c.customerId, c.model, c.occurredAt?.toISOString() ?? null, pairs(c.quantities), pairs(c.attributes), c.reservationId ?? null]));

const at = new Date("2026-12-04T10:00:00.000Z");
const record = (over: Partial<UsageRecord> = {}): UsageRecord => ({
  tenantId: "7d0c1c52-4a1e-4a53-9d7e-2f1b6c0e9a11",
  eventId: "evt-1",
  customerId: "cus-1",
  model: "gpt-4o",
  occurredAt: at,
  receivedAt: new Date(at.getTime() + 1500),
  quantities: { output_tokens: "500", input_tokens: "1200" },
  attributes: {},
  charge: dec("0.008"),
  currency: "USD",
  cost: dec("0.00625"),
  costCurrency: "USD",
  planKey: "pro",
  planVersion: 2,
  costVersion: 1,
  periodStart: new Date("2026-12-01T00:00:00.000Z"),
  reservationId: undefined,
  released: undefined,
  overage: undefined,
  contentHash: "9f".repeat(32),
  ...over,
});

const hasher = new Sha256UsageLogHasher();
const text = fc.string({ unit: "binary" });
const dictionary = fc.dictionary(text, text, { maxKeys: 5 });
const decimal = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((u) => Decimal.fromUnits(u));
const time = fc.integer({ min: 0, max: 4_102_444_800_000 }).map((ms) => new Date(ms));

describe("usage log hashes", () => {
  it("a fixed record and a fixed submission hash to the values recorded by the first release", () => {
    const r = record();
    expect(hasher.hashOf("", r, 1)).toBe("2b2e6b2f89680622c287379fdfbc42e9f3fedc95382226949a3779a65c894a87");
    expect(hasher.contentHash({ customerId: "cus-1", model: "gpt-4o", occurredAt: at, quantities: r.quantities, attributes: {}, reservationId: undefined })).toBe(
      "79f88e3c39d9a05a763d61fe3eb1319b0da1fa07b77ffd4595a0082de819e450",
    );
  });

  it("any record hashes as JSON.stringify of its fields would, whatever its strings hold", () => {
    fc.assert(
      fc.property(
        fc.record({
          tenantId: text, eventId: text, customerId: text, model: text, occurredAt: time, receivedAt: time, quantities: dictionary,
          attributes: dictionary, charge: decimal, currency: text, cost: decimal, costCurrency: text, planKey: text,
          planVersion: fc.integer(), costVersion: fc.integer(), periodStart: time, reservationId: fc.option(text, { nil: undefined }),
          released: fc.option(decimal, { nil: undefined }), overage: fc.option(decimal, { nil: undefined }), contentHash: text,
        }),
        text,
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        (r, prev, seq) => {
          expect(hasher.hashOf(prev, r, seq)).toBe(referenceRecordHash(prev, r, seq));
        },
      ),
    );
  });

  it("any submitted content fingerprints as JSON.stringify of its fields would", () => {
    fc.assert(
      fc.property(
        fc.record({ customerId: text, model: text, occurredAt: fc.option(time, { nil: undefined }), quantities: dictionary, attributes: dictionary, reservationId: fc.option(text, { nil: undefined }) }),
        (c) => {
          expect(hasher.contentHash(c)).toBe(referenceContentHash(c));
        },
      ),
    );
  });

  it("long and non-ASCII texts, past the buffer's first size, hash as their strings would", () => {
    const long = fc.string({ unit: "binary", minLength: 60, maxLength: 3000 });
    fc.assert(
      fc.property(long, long, fc.dictionary(long, long, { maxKeys: 3 }), (eventId, prev, attributes) => {
        const r = record({ eventId, attributes, reservationId: eventId });
        expect(hasher.hashOf(prev, r, 3)).toBe(referenceRecordHash(prev, r, 3));
        const c = { customerId: eventId, model: "m", occurredAt: undefined, quantities: attributes, attributes: {}, reservationId: prev };
        expect(hasher.contentHash(c)).toBe(referenceContentHash(c));
      }),
      { numRuns: 200 },
    );
  });

  it("a chain links each record to the one before it", () => {
    const records = [record(), record({ eventId: "evt-2", attributes: { region: 'eu "west"' } }), record({ eventId: "evt-3", reservationId: "res-1", released: dec("0.5"), overage: Decimal.ZERO })];
    const { chained, head } = hasher.chain({ seq: 4, hash: "ab".repeat(32) }, records);
    let prev = "ab".repeat(32);
    chained.forEach((c, i) => {
      expect(c.seq).toBe(5 + i);
      expect(c.prevHash).toBe(prev);
      expect(c.hash).toBe(referenceRecordHash(prev, records[i] as UsageRecord, 5 + i));
      prev = c.hash;
    });
    expect(head).toEqual({ seq: 7, hash: prev });
  });
});
