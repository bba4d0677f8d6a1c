import { describe, expect, it } from "@jest/globals";
import { termsAt, termsSpanAt, type RatingTerms } from "../../../../src/domain/rating/terms.js";
import { inForceSpanAt } from "../../../../src/domain/catalog/timeline.js";
import { at, catalogStart, compile, costVersion, customer, formula, gpt4o, gpt4oListCost, plan, planVersion, plans, price, subscribedTo, tokenExpression } from "./fixtures.js";

// A timeline where every kind of boundary falls inside February 2026: a price change on the
// 10th, a plan change on the 14th at noon, a vendor cost change on the 20th; then the month ends.
const starter = plan("starter", [planVersion(1, catalogStart, [price("*", formula("cost * 1.5"))]), planVersion(2, at("2026-02-10T00:00:00Z"), [price("*", formula("cost * 1.4"))])]);
const pro = plan("pro", [planVersion(1, catalogStart, [price("gpt-4o", formula("cost * 1.25"))])]);
const model = gpt4o([costVersion(1, catalogStart, gpt4oListCost), costVersion(2, at("2026-02-20T00:00:00Z"), formula(tokenExpression, { rate_in: "0.000002", rate_out: "0.000008", rate_cached: "0.000001" }))]);
const who = customer([subscribedTo("starter"), subscribedTo("pro", at("2026-02-14T12:00:00Z"))]);
const catalog = plans(starter, pro);

/** What identifies terms: the same choices give the same price for any event. */
const identity = (t: RatingTerms) => [t.planKey, t.planVersion.version, t.costVersion.version, t.period.start.getTime(), t.period.end.getTime()].join("/");

function spanAt(when: Date) {
  const found = termsSpanAt(who, catalog, model, when, compile);
  if (!found.ok) throw new Error(found.error.message);
  return found.value;
}

/** The identity of the terms at `ms`, or the reason there are none (before the catalog starts). */
function termsIdentityAt(ms: number): string {
  const found = termsAt(who, catalog, model, new Date(ms), compile);
  return found.ok ? identity(found.value) : found.error.reason;
}

describe("termsSpanAt: how long the terms found for an instant hold", () => {
  it.each([
    ["before the price change", "2026-02-03T08:00:00Z", "2026-02-01T00:00:00Z", "2026-02-10T00:00:00Z"],
    ["after the price change, before the plan change", "2026-02-12T00:00:00Z", "2026-02-10T00:00:00Z", "2026-02-14T12:00:00Z"],
    ["after the plan change, before the cost change", "2026-02-15T00:00:00Z", "2026-02-14T12:00:00Z", "2026-02-20T00:00:00Z"],
    ["after the cost change, until the month ends", "2026-02-25T00:00:00Z", "2026-02-20T00:00:00Z", "2026-03-01T00:00:00Z"],
  ])("%s", (_, instant, from, until) => {
    const span = spanAt(at(instant));
    expect([new Date(span.from).toISOString(), new Date(span.until).toISOString()]).toEqual([at(from).toISOString(), at(until).toISOString()]);
  });

  it("gives the same terms anywhere inside the span and different ones just outside it", () => {
    // Every hour of February and early March, and the instants around each boundary.
    const instants: number[] = [];
    for (let t = at("2026-01-31T00:00:00Z").getTime(); t < at("2026-03-03T00:00:00Z").getTime(); t += 3_600_000) instants.push(t);
    for (const b of ["2026-02-10T00:00:00Z", "2026-02-14T12:00:00Z", "2026-02-20T00:00:00Z", "2026-03-01T00:00:00Z"]) instants.push(at(b).getTime() - 1, at(b).getTime());
    for (const t of instants) {
      const span = spanAt(new Date(t));
      const here = identity(span.terms);
      expect(span.from <= t && t < span.until).toBe(true);
      expect(termsIdentityAt(span.from)).toBe(here);
      expect(termsIdentityAt(span.until - 1)).toBe(here);
      expect(termsIdentityAt(span.from - 1)).not.toBe(here);
      expect(termsIdentityAt(span.until)).not.toBe(here);
    }
  });

  it("returns the same rejection as termsAt when there are no terms", () => {
    const later = customer([subscribedTo("pro", at("2026-03-01T00:00:00Z"))]);
    const found = termsSpanAt(later, catalog, model, at("2026-02-01T00:00:00Z"), compile);
    expect(found.ok ? "terms" : found.error.reason).toBe("NO_SUBSCRIPTION");
  });
});

describe("inForceSpanAt", () => {
  const starts = (...iso: string[]) => iso.map((s) => ({ s: at(s) }));

  it("spans from the entry's start to the next entry's", () => {
    const found = inForceSpanAt(starts("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"), (e) => e.s, at("2026-02-15T00:00:00Z"));
    expect(found && [found.entry.s.toISOString(), new Date(found.from).toISOString(), new Date(found.until).toISOString()]).toEqual([
      "2026-02-01T00:00:00.000Z",
      "2026-02-01T00:00:00.000Z",
      "2026-03-01T00:00:00.000Z",
    ]);
  });

  it("is open-ended after the last entry and empty before the first", () => {
    const entries = starts("2026-01-01T00:00:00Z");
    expect(inForceSpanAt(entries, (e) => e.s, at("2030-01-01T00:00:00Z"))?.until).toBe(Infinity);
    expect(inForceSpanAt(entries, (e) => e.s, at("2025-12-31T23:59:59Z"))).toBeUndefined();
  });

  it("of entries sharing a start, takes the last, as inForceAt does", () => {
    const entries = [{ s: at("2026-01-01T00:00:00Z"), n: 1 }, { s: at("2026-01-01T00:00:00Z"), n: 2 }];
    expect(inForceSpanAt(entries, (e) => e.s, at("2026-01-05T00:00:00Z"))?.entry.n).toBe(2);
  });
});
