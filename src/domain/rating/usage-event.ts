import { violation, type FieldViolation } from "../catalog/field-error.js";
import { parseTimeField } from "../catalog/input.js";
import { parseCatalogKey, parseExternalId } from "../catalog/keys.js";
import { limits } from "../limits.js";
import { Decimal } from "../money/decimal.js";
import { err, ok, type Result } from "../result.js";
import { sortStrings } from "../collections/sort-strings.js";

/** A usage event as it arrives: every value still text. */
export type UsageEventInput = {
  readonly eventId: string;
  readonly customerId: string;
  readonly model: string;
  readonly occurredAt: Date | undefined;
  readonly quantities: Readonly<Record<string, string>>;
  readonly attributes: Readonly<Record<string, string>>;
};

/** A usage event that passed every check that needs no stored state. */
export type UsageEvent = {
  readonly eventId: string;
  readonly customerId: string;
  readonly model: string;
  readonly occurredAt: Date;
  /** By meter key; meters the event does not carry are absent (a formula reads them as 0). */
  readonly quantities: ReadonlyMap<string, Decimal>;
  readonly attributes: ReadonlyMap<string, string>;
};

/** Attribute names as formulas read them (`attr.region`), plus the separators vendors use in tags. */
const attributeNamePattern = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

/**
 * Checks quantities against the tenant's meters: each key a defined meter, each value a
 * decimal that is not negative. `field` is the path of the map in the request.
 */
export function parseQuantities(field: string, input: Readonly<Record<string, string>>, meters: ReadonlySet<string>): Result<Map<string, Decimal>, FieldViolation> {
  const entries = Object.entries(input);
  if (entries.length > limits.quantitiesPerEventMax) return err(violation(field, `must have at most ${limits.quantitiesPerEventMax} entries, got ${entries.length}`));
  const out = new Map<string, Decimal>();
  for (const [meter, text] of entries) {
    if (!meters.has(meter)) {
      const known = [...meters].sort();
      const hint = known.length === 0 ? "no meters are defined yet (DefineMeter)" : known.length <= 12 ? `defined meters: ${known.join(", ")}` : "define it with DefineMeter";
      return err(violation(`${field}[${meter}]`, `"${meter}" is not a defined meter; ${hint}`));
    }
    const parsed = Decimal.parse(text);
    if (!parsed.ok) return err(violation(`${field}[${meter}]`, parsed.error));
    if (parsed.value.isNegative()) return err(violation(`${field}[${meter}]`, `must not be negative, got ${text}`));
    out.set(meter, parsed.value);
  }
  return ok(out);
}

/**
 * What an event without attributes gets, shared. Ingestion holds every event's parsed fields
 * until its call is recorded, so whatever is made per event is copied by each young-generation
 * collection it lives through. In a heap snapshot taken during ingestion an event kept about
 * 1.7 KB alive; an empty object there was 54 bytes, and an empty map with its table is some
 * 100-150 more (estimated, not measured apart): roughly a tenth.
 */
const noAttributes: ReadonlyMap<string, string> = new Map();
const noAttributesText: Readonly<Record<string, string>> = Object.freeze({});

export function parseAttributes(field: string, input: Readonly<Record<string, string>>): Result<ReadonlyMap<string, string>, FieldViolation> {
  const entries = Object.entries(input);
  if (entries.length === 0) return ok(noAttributes);
  if (entries.length > limits.attributesPerEventMax) return err(violation(field, `must have at most ${limits.attributesPerEventMax} entries, got ${entries.length}`));
  const out = new Map<string, string>();
  for (const [name, value] of entries) {
    if (name.length > limits.attributeNameLengthMax || !attributeNamePattern.test(name)) {
      return err(violation(`${field}[${name}]`, `attribute names are 1-${limits.attributeNameLengthMax} letters, digits, _ . : - starting with a letter or _`));
    }
    if (value.length > limits.attributeValueLengthMax) return err(violation(`${field}[${name}]`, `must be at most ${limits.attributeValueLengthMax} characters, got ${value.length}`));
    out.set(name, value);
  }
  return ok(out);
}

/** Validates one event's own fields (`field` is its path, e.g. "events[3]"); `now` fills a missing time. */
export function parseUsageEvent(field: string, input: UsageEventInput, meters: ReadonlySet<string>, now: Date): Result<UsageEvent, FieldViolation> {
  const eventId = parseExternalId(`${field}.event_id`, input.eventId);
  if (!eventId.ok) return eventId;
  const customerId = parseExternalId(`${field}.customer_id`, input.customerId);
  if (!customerId.ok) return customerId;
  const model = parseCatalogKey(`${field}.model`, input.model);
  if (!model.ok) return model;
  const occurredAt = parseTimeField(`${field}.occurred_at`, input.occurredAt, now);
  if (!occurredAt.ok) return occurredAt;
  const quantities = parseQuantities(`${field}.quantities`, input.quantities, meters);
  if (!quantities.ok) return quantities;
  const attributes = parseAttributes(`${field}.attributes`, input.attributes);
  if (!attributes.ok) return attributes;
  return ok({ eventId: eventId.value, customerId: customerId.value, model: model.value, occurredAt: occurredAt.value, quantities: quantities.value, attributes: attributes.value });
}

/** How late and how early (relative to now) usage is accepted. */
export type TimeWindow = { readonly latenessMs: number; readonly futureSkewMs: number };

/**
 * Usage older than the lateness window would change periods already invoiced, and usage from
 * the future is a clock or unit mistake: both are refused with the bound they broke.
 */
export function checkTiming(field: string, occurredAt: Date, now: Date, window: TimeWindow): Result<void, FieldViolation> {
  const age = now.getTime() - occurredAt.getTime();
  if (age > window.latenessMs) {
    const days = Math.round((window.latenessMs / 86_400_000) * 100) / 100;
    return err(violation(field, `is older than the lateness window (${days} days): ${occurredAt.toISOString()}`));
  }
  if (-age > window.futureSkewMs) {
    return err(violation(field, `is more than ${Math.round(window.futureSkewMs / 1000)} seconds in the future: ${occurredAt.toISOString()}`));
  }
  return ok(undefined);
}

/** Canonical text of a quantity map, keys sorted: what is recorded and compared on retries. */
export function canonicalQuantities(quantities: ReadonlyMap<string, Decimal>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of sortStrings([...quantities.keys()])) out[key] = (quantities.get(key) ?? Decimal.ZERO).toString();
  return out;
}

export function canonicalAttributes(attributes: ReadonlyMap<string, string>): Readonly<Record<string, string>> {
  if (attributes.size === 0) return noAttributesText;
  const out: Record<string, string> = {};
  for (const key of sortStrings([...attributes.keys()])) out[key] = attributes.get(key) ?? "";
  return out;
}
