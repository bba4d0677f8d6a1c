import { describe, expect, it } from "@jest/globals";
import { limits } from "../../../../src/domain/limits.js";
import { canonicalAttributes, canonicalQuantities, checkTiming, parseAttributes, parseQuantities, parseUsageEvent, type UsageEventInput } from "../../../../src/domain/rating/usage-event.js";
import { at, meters } from "./fixtures.js";

const now = at("2026-03-10T12:00:00Z");

/** A well-formed event; each test breaks one field. */
const anEvent = (overrides: Partial<UsageEventInput> = {}): UsageEventInput => ({
  eventId: "evt_0001",
  customerId: "cus-42",
  model: "gpt-4o",
  occurredAt: at("2026-03-10T11:59:00Z"),
  quantities: { input_tokens: "1234", output_tokens: "567" },
  attributes: { region: "eu" },
  ...overrides,
});

/** The violation parseUsageEvent reports for the event at index 3 of a batch, failing the test if it accepts it. */
function violationOf(input: UsageEventInput, known: ReadonlySet<string> = meters): { field: string; description: string } {
  const parsed = parseUsageEvent("events[3]", input, known, now);
  if (parsed.ok) throw new Error("expected the event to be refused");
  return parsed.error;
}

const repeat = (n: number, ch = "a") => ch.repeat(n);
const manyEntries = (n: number, value = "1", name = (i: number) => `k${i}`): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [name(i), value]));

describe("parseUsageEvent accepts a well-formed event", () => {
  it("keeps every field, with quantities as exact decimals", () => {
    const parsed = parseUsageEvent("events[0]", anEvent({ quantities: { output_tokens: "0567", input_tokens: "1234.50" } }), meters, now);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.eventId).toBe("evt_0001");
    expect(parsed.value.customerId).toBe("cus-42");
    expect(parsed.value.model).toBe("gpt-4o");
    expect(parsed.value.occurredAt.toISOString()).toBe("2026-03-10T11:59:00.000Z");
    expect([...parsed.value.attributes]).toEqual([["region", "eu"]]);
    // Canonical text sorts meters and drops leading and trailing zeros: what retries are compared on.
    expect(canonicalQuantities(parsed.value.quantities)).toEqual({ input_tokens: "1234.5", output_tokens: "567" });
    expect(Object.keys(canonicalQuantities(parsed.value.quantities))).toEqual(["input_tokens", "output_tokens"]);
  });

  it("takes the time it was received when the event carries none", () => {
    const parsed = parseUsageEvent("events[0]", anEvent({ occurredAt: undefined }), meters, now);
    expect(parsed.ok && parsed.value.occurredAt.toISOString()).toBe("2026-03-10T12:00:00.000Z");
  });

  it("accepts an event without quantities or attributes (every meter reads 0)", () => {
    const parsed = parseUsageEvent("events[0]", anEvent({ quantities: {}, attributes: {} }), meters, now);
    expect(parsed.ok && [parsed.value.quantities.size, parsed.value.attributes.size]).toEqual([0, 0]);
  });

  it("accepts vendor model keys with / . : and -", () => {
    expect(parseUsageEvent("events[0]", anEvent({ model: "anthropic/claude-3.5:beta" }), meters, now).ok).toBe(true);
  });

  it("canonical attributes are sorted by name", () => {
    const parsed = parseAttributes("events[0].attributes", { zone: "b", region: "eu" });
    expect(parsed.ok && Object.keys(canonicalAttributes(parsed.value))).toEqual(["region", "zone"]);
  });
});

describe("parseUsageEvent names the bad field by its path in the batch", () => {
  it("event_id: required, printable ASCII without spaces, at most 128 characters", () => {
    expect(violationOf(anEvent({ eventId: "" }))).toEqual({ field: "events[3].event_id", description: "is required" });
    expect(violationOf(anEvent({ eventId: "evt 1" }))).toEqual({ field: "events[3].event_id", description: "must be printable ASCII without spaces" });
    expect(violationOf(anEvent({ eventId: "évt" }))).toEqual({ field: "events[3].event_id", description: "must be printable ASCII without spaces" });
    expect(violationOf(anEvent({ eventId: repeat(129) }))).toEqual({ field: "events[3].event_id", description: "must be at most 128 characters, got 129" });
    expect(parseUsageEvent("events[3]", anEvent({ eventId: repeat(128) }), meters, now).ok).toBe(true);
  });

  it("customer_id: the same rules as event ids", () => {
    expect(violationOf(anEvent({ customerId: "" }))).toEqual({ field: "events[3].customer_id", description: "is required" });
    expect(violationOf(anEvent({ customerId: "cus\t42" }))).toEqual({ field: "events[3].customer_id", description: "must be printable ASCII without spaces" });
  });

  it("model: required, a catalog key starting with a letter or digit", () => {
    expect(violationOf(anEvent({ model: "" }))).toEqual({ field: "events[3].model", description: "is required" });
    expect(violationOf(anEvent({ model: "-gpt" })).field).toBe("events[3].model");
    expect(violationOf(anEvent({ model: "gpt 4o" })).description).toContain('got "gpt 4o"');
  });

  it("occurred_at: a time between 2000 and 2200 (anything else is a unit mistake)", () => {
    const outOfRange = { field: "events[3].occurred_at", description: "must be a time between 2000-01-01 and 2200-01-01" };
    expect(violationOf(anEvent({ occurredAt: at("1999-12-31T23:59:59.999Z") }))).toEqual(outOfRange);
    // Seconds sent where milliseconds are expected land in 1970.
    expect(violationOf(anEvent({ occurredAt: new Date(1_773_144_000) }))).toEqual(outOfRange);
    expect(violationOf(anEvent({ occurredAt: new Date(Number.NaN) }))).toEqual(outOfRange);
    expect(parseUsageEvent("events[3]", anEvent({ occurredAt: at("2000-01-01T00:00:00Z") }), meters, now).ok).toBe(true);
  });

  it("checks the fields in order and reports the first bad one", () => {
    expect(violationOf(anEvent({ eventId: "", customerId: "", quantities: { input_tokns: "1" } })).field).toBe("events[3].event_id");
    expect(violationOf(anEvent({ model: "", quantities: { input_tokns: "1" } })).field).toBe("events[3].model");
  });
});

describe("quantities", () => {
  it("an unknown meter is named by its key, with the defined meters listed", () => {
    expect(violationOf(anEvent({ quantities: { input_tokns: "5" } }))).toEqual({
      field: "events[3].quantities[input_tokns]",
      description: '"input_tokns" is not a defined meter; defined meters: cached_input_tokens, images, input_tokens, output_tokens',
    });
  });

  it("an unknown meter in a tenant without meters says to define one", () => {
    expect(violationOf(anEvent({ quantities: { input_tokens: "5" } }), new Set())).toEqual({
      field: "events[3].quantities[input_tokens]",
      description: '"input_tokens" is not a defined meter; no meters are defined yet (DefineMeter)',
    });
  });

  it("lists up to 12 defined meters, and beyond that points to DefineMeter", () => {
    const twelve = new Set(Array.from({ length: 12 }, (_, i) => `m${String(i).padStart(2, "0")}`));
    expect(violationOf(anEvent({ quantities: { x: "1" } }), twelve).description).toBe(
      '"x" is not a defined meter; defined meters: m00, m01, m02, m03, m04, m05, m06, m07, m08, m09, m10, m11',
    );
    const thirteen = new Set([...twelve, "m12"]);
    expect(violationOf(anEvent({ quantities: { x: "1" } }), thirteen).description).toBe('"x" is not a defined meter; define it with DefineMeter');
  });

  it("meter keys are case-sensitive", () => {
    expect(violationOf(anEvent({ quantities: { Input_Tokens: "5" } })).field).toBe("events[3].quantities[Input_Tokens]");
  });

  it("refuses a negative quantity", () => {
    expect(violationOf(anEvent({ quantities: { input_tokens: "-1" } }))).toEqual({ field: "events[3].quantities[input_tokens]", description: "must not be negative, got -1" });
    expect(violationOf(anEvent({ quantities: { output_tokens: "-0.000000000000000001" } }))).toEqual({
      field: "events[3].quantities[output_tokens]",
      description: "must not be negative, got -0.000000000000000001",
    });
  });

  it("accepts zero, including written as -0 (there is no negative zero)", () => {
    const parsed = parseQuantities("q", { input_tokens: "0", output_tokens: "-0" }, meters);
    expect(parsed.ok && canonicalQuantities(parsed.value)).toEqual({ input_tokens: "0", output_tokens: "0" });
  });

  it.each(["1e5", "12.5.3", "", " 5", "5 ", "+5", "0x10", "1,000", "1.", ".5", "NaN", "Infinity", "٣"])("refuses %j, which is not a plain decimal", (text) => {
    expect(violationOf(anEvent({ quantities: { input_tokens: text } }))).toEqual({
      field: "events[3].quantities[input_tokens]",
      description: `must be a decimal number like 12.50, got "${text}"`,
    });
  });

  it("refuses more than 18 fractional digits rather than rounding them", () => {
    expect(violationOf(anEvent({ quantities: { input_tokens: "0.0000000000000000001" } }))).toEqual({
      field: "events[3].quantities[input_tokens]",
      description: 'has more than 18 fractional digits: "0.0000000000000000001"',
    });
    const eighteen = parseQuantities("q", { input_tokens: "0.000000000000000001" }, meters);
    expect(eighteen.ok && canonicalQuantities(eighteen.value)).toEqual({ input_tokens: "0.000000000000000001" });
  });

  it("refuses a quantity longer than 64 characters", () => {
    const long = `1${"0".repeat(64)}`; // 65 characters
    expect(violationOf(anEvent({ quantities: { input_tokens: long } }))).toEqual({ field: "events[3].quantities[input_tokens]", description: "must be at most 64 characters, got 65" });
  });

  it(`refuses more than ${limits.quantitiesPerEventMax} quantities, naming the map`, () => {
    const many = new Set(Array.from({ length: 65 }, (_, i) => `m${i}`));
    expect(parseQuantities("events[3].quantities", manyEntries(64, "1", (i) => `m${i}`), many).ok).toBe(true);
    expect(violationOf(anEvent({ quantities: manyEntries(65, "1", (i) => `m${i}`) }), many)).toEqual({ field: "events[3].quantities", description: "must have at most 64 entries, got 65" });
  });
});

describe("attributes", () => {
  const refusedName = "attribute names are 1-64 letters, digits, _ . : - starting with a letter or _";

  it("accepts names as formulas read them and as vendors tag them", () => {
    const parsed = parseAttributes("a", { region: "eu", _internal: "1", "aws:region": "eu-west-1", "x-trace.id": "abc", [repeat(64)]: "v" });
    expect(parsed.ok && parsed.value.size).toBe(5);
  });

  it.each(["", "9lives", "-x", ".x", "has space", "région", "a/b", repeat(65)])("refuses the name %j, naming it", (name) => {
    expect(violationOf(anEvent({ attributes: { [name]: "v" } }))).toEqual({ field: `events[3].attributes[${name}]`, description: refusedName });
  });

  it("refuses a value longer than 1024 characters, accepts 1024 and the empty value", () => {
    expect(violationOf(anEvent({ attributes: { prompt: repeat(1025) } }))).toEqual({ field: "events[3].attributes[prompt]", description: "must be at most 1024 characters, got 1025" });
    const parsed = parseAttributes("a", { prompt: repeat(1024), empty: "" });
    expect(parsed.ok && [parsed.value.get("prompt")?.length, parsed.value.get("empty")]).toEqual([1024, ""]);
  });

  it(`refuses more than ${limits.attributesPerEventMax} attributes, naming the map`, () => {
    expect(parseAttributes("a", manyEntries(32)).ok).toBe(true);
    expect(violationOf(anEvent({ attributes: manyEntries(33) }))).toEqual({ field: "events[3].attributes", description: "must have at most 32 entries, got 33" });
  });
});

describe("checkTiming: the lateness window and the future skew", () => {
  const day = 86_400_000;
  const window = { latenessMs: 35 * day, futureSkewMs: 5 * 60_000 };
  const field = "events[3].occurred_at";
  const ago = (ms: number) => new Date(now.getTime() - ms);

  it("accepts usage exactly at the lateness bound and refuses it one millisecond older", () => {
    expect(checkTiming(field, ago(35 * day), now, window)).toEqual({ ok: true, value: undefined });
    expect(checkTiming(field, ago(35 * day + 1), now, window)).toEqual({
      ok: false,
      error: { field, description: "is older than the lateness window (35 days): 2026-02-03T11:59:59.999Z" },
    });
  });

  it("accepts usage exactly at the future skew and refuses it one millisecond further ahead", () => {
    expect(checkTiming(field, ago(-5 * 60_000), now, window)).toEqual({ ok: true, value: undefined });
    expect(checkTiming(field, ago(-5 * 60_000 - 1), now, window)).toEqual({
      ok: false,
      error: { field, description: "is more than 300 seconds in the future: 2026-03-10T12:05:00.001Z" },
    });
  });

  it("accepts usage from right now", () => {
    expect(checkTiming(field, now, now, window).ok).toBe(true);
  });

  it("states a window that is not whole days in days with two decimals", () => {
    const refused = checkTiming(field, ago(36 * 3_600_000 + 1), now, { latenessMs: 36 * 3_600_000, futureSkewMs: 0 });
    expect(!refused.ok && refused.error.description).toBe("is older than the lateness window (1.5 days): 2026-03-08T23:59:59.999Z");
  });

  it("with no skew allowed, refuses usage even one millisecond in the future", () => {
    const noSkew = { latenessMs: day, futureSkewMs: 0 };
    expect(checkTiming(field, now, now, noSkew).ok).toBe(true);
    expect(checkTiming(field, ago(-1), now, noSkew).ok).toBe(false);
  });
});
