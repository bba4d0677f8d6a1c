import { violation } from "../../domain/catalog/field-error.js";
import { parseExternalId } from "../../domain/catalog/keys.js";
import { limits } from "../../domain/limits.js";
import { ok, type Result } from "../../domain/result.js";
import { invalid, type AppError } from "../errors.js";
import type { ChainedRecord, GroupBy, PageCursor, SummaryRow, UsageLog, UsageQuery } from "../ports/usage-log.js";

export type RangeInput = { readonly customerId: string; readonly from: Date | undefined; readonly to: Date | undefined };

/** An empty customer means all; an unset range means all time (from) and now-and-later (to). */
function parseRange(input: RangeInput): Result<UsageQuery, AppError> {
  let customerId: string | undefined;
  if (input.customerId !== "") {
    const parsed = parseExternalId("customer_id", input.customerId);
    if (!parsed.ok) return invalid(parsed.error);
    customerId = parsed.value;
  }
  const from = input.from ?? new Date(0);
  const to = input.to ?? new Date(Date.UTC(9999, 0, 1));
  if (!Number.isFinite(from.getTime())) return invalid(violation("from", "must be a valid time"));
  if (!Number.isFinite(to.getTime())) return invalid(violation("to", "must be a valid time"));
  if (to.getTime() <= from.getTime()) return invalid(violation("to", "must be after from"));
  return ok({ customerId, from, to });
}

export type UsageSummary = { readonly rows: readonly SummaryRow[]; readonly totals: readonly SummaryRow[] };

/** Totals of recorded usage, summed exactly by the database in `numeric`. */
export class GetUsageSummary {
  constructor(private readonly log: UsageLog) {}

  async execute(tenantId: string, input: RangeInput & { readonly groupBy: GroupBy }): Promise<Result<UsageSummary, AppError>> {
    const range = parseRange(input);
    if (!range.ok) return range;
    return ok(await this.log.summarize(tenantId, range.value, input.groupBy));
  }
}

/** A page token names where the page ended and the filter it belongs to. */
type Token = { o: string; e: string; f: string };

const filterOf = (q: UsageQuery): string => `${q.customerId ?? ""}|${q.from.toISOString()}|${q.to.toISOString()}`;

function decodeToken(text: string, q: UsageQuery): Result<PageCursor | undefined, AppError> {
  if (text === "") return ok(undefined);
  try {
    const t = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as Partial<Token>;
    const at = new Date(String(t.o));
    if (typeof t.e !== "string" || typeof t.f !== "string" || !Number.isFinite(at.getTime())) throw new Error("malformed");
    if (t.f !== filterOf(q)) return invalid(violation("page_token", "belongs to a listing with a different customer_id, from or to"));
    return ok({ occurredAt: at, eventId: t.e });
  } catch {
    return invalid(violation("page_token", "is not a token this listing returned"));
  }
}

const encodeToken = (r: ChainedRecord, q: UsageQuery): string =>
  Buffer.from(JSON.stringify({ o: r.record.occurredAt.toISOString(), e: r.record.eventId, f: filterOf(q) } satisfies Token), "utf8").toString("base64url");

/** Rated events oldest first (by occurred_at, then event id), in pages. */
export class ListRatedEvents {
  constructor(private readonly log: UsageLog) {}

  async execute(tenantId: string, input: RangeInput & { readonly pageSize: number; readonly pageToken: string }): Promise<Result<{ events: readonly ChainedRecord[]; nextPageToken: string }, AppError>> {
    const range = parseRange(input);
    if (!range.ok) return range;
    if (!Number.isInteger(input.pageSize) || input.pageSize < 0 || input.pageSize > limits.pageSizeMax) {
      return invalid(violation("page_size", `must be 1 to ${limits.pageSizeMax} (0 means ${limits.pageSizeDefault}), got ${input.pageSize}`));
    }
    const size = input.pageSize === 0 ? limits.pageSizeDefault : input.pageSize;
    const after = decodeToken(input.pageToken, range.value);
    if (!after.ok) return after;
    const page = await this.log.list(tenantId, range.value, after.value, size + 1);
    const events = page.slice(0, size);
    const last = events[events.length - 1];
    return ok({ events, nextPageToken: page.length > size && last ? encodeToken(last, range.value) : "" });
  }
}
