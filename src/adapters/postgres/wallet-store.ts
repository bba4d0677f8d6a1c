import { sql, type Kysely } from "kysely";
import type { ChainedRecord } from "../../application/ports/usage-log.js";
import type { AppendPart, LoadedWallet, PartOutcome, StoredHold, StoredWalletEvent, TakenKeys, WalletKey, WalletStore } from "../../application/ports/wallet-store.js";
import type { Balance } from "../../domain/wallet/balance.js";
import type { GrantSource } from "../../domain/wallet/events.js";
import { initialWallet, replay } from "../../domain/wallet/wallet.js";
import { decimalFromDb } from "./decimal-column.js";
import { plainArray } from "./array-param.js";
import { int4ArrayBinary, int8ArrayBinary, jsonbObjectArrayBinary, textArrayBinary, timestamptzArrayBinary } from "./binary-array.js";
import { jsonbArray, type JsonbEncoding } from "./jsonb-param.js";
import { uniqueViolationOf } from "./pg-errors.js";
import type { Database } from "./tables/index.js";
import { decodeWalletEvent, decodeWalletState } from "./wallet-codec.js";
import { walletParts } from "../../domain/wallet/wallet.js";

/** Channel on which server Postgres announces wallet changes to every instance. */
export const walletChannel = "tollgate_wallet";

type LoadRow = {
  kind: number;
  version: string | null;
  type: string | null;
  payload: Record<string, unknown> | null;
  balance_version: string | null;
  token: string | null;
  log_seq: string | null;
  log_hash: string | null;
};

/**
 * ISO text of a date, remembering the last date it was asked for. A record's received time is
 * the same Date for every record of a call, its period start the same for every record of a
 * customer's part, and consecutive records mostly share both: formatting each once per run of
 * equal Dates rather than once per record.
 */
const isoOfLast = () => {
  let last: Date | undefined;
  let text = "";
  return (d: Date): string => {
    if (d !== last) {
      last = d;
      text = d.toISOString();
    }
    return text;
  };
};

type IsoOf = (d: Date) => string;

// Absent values stay undefined, so JSON.stringify leaves their keys out: jsonb_to_recordset
// reads a missing key as NULL, and every byte less is less to encode, send and parse.
const recordJson = ({ record: r, seq, prevHash, hash }: ChainedRecord, iso: { occurred: IsoOf; received: IsoOf; period: IsoOf }) => ({
  t: r.tenantId,
  id: r.eventId,
  c: r.customerId,
  m: r.model,
  oa: iso.occurred(r.occurredAt),
  ra: iso.received(r.receivedAt),
  q: r.quantities,
  a: r.attributes,
  ch: r.charge.toString(),
  cu: r.currency,
  co: r.cost.toString(),
  ccu: r.costCurrency,
  pk: r.planKey,
  pv: r.planVersion,
  cv: r.costVersion,
  ps: iso.period(r.periodStart),
  res: r.reservationId,
  rel: r.released?.toString(),
  ov: r.overage?.toString(),
  chash: r.contentHash,
  seq,
  prev: prevHash,
  h: hash,
});

/** The usage records as one jsonb array parameter read with jsonb_to_recordset. */
const recordsJsonSql = (json: string | Buffer) => sql`jsonb_to_recordset(${json}::jsonb) as r(
              t text, id text, c text, m text, oa timestamptz, ra timestamptz, q jsonb, a jsonb, ch numeric, cu text,
              co numeric, ccu text, pk text, pv int4, cv int4, ps timestamptz, res text, rel numeric, ov numeric,
              chash text, seq int8, prev text, h text)`;

/** The records as jsonb, each time's ISO text made once per distinct time of the call. */
function recordsJsonRows(encoding: JsonbEncoding, records: readonly ChainedRecord[]) {
  const iso = { occurred: isoOfLast(), received: isoOfLast(), period: isoOfLast() };
  return recordsJsonSql(jsonbArray(encoding, records, (r) => recordJson(r, iso)));
}

/**
 * The usage records as one array parameter per column, read with unnest. Postgres decodes
 * arrays of scalars far more cheaply than it parses a jsonb document and picks its fields, and
 * binary arrays (binary-array.ts) more cheaply still than array literals.
 */
function recordColumnsSql(records: readonly ChainedRecord[]) {
  const n = records.length;
  const col = <T>() => new Array<T>(n);
  const t = col<string>(), id = col<string>(), c = col<string>(), m = col<string>(), oa = col<Date>(), ra = col<Date>();
  const q = col<Readonly<Record<string, string>>>(), a = col<Readonly<Record<string, string>>>(), ch = col<string>(), cu = col<string>(), co = col<string>(), ccu = col<string>();
  const pk = col<string>(), pv = col<number>(), cv = col<number>(), ps = col<Date>(), res = col<string | null>();
  const rel = col<string | null>(), ov = col<string | null>(), chash = col<string>(), seq = col<number>(), prev = col<string>(), h = col<string>();
  for (let i = 0; i < n; i++) {
    const { record: r, seq: s, prevHash, hash } = records[i] as ChainedRecord;
    t[i] = r.tenantId;
    id[i] = r.eventId;
    c[i] = r.customerId;
    m[i] = r.model;
    oa[i] = r.occurredAt;
    ra[i] = r.receivedAt;
    q[i] = r.quantities;
    a[i] = r.attributes;
    ch[i] = r.charge.toString();
    cu[i] = r.currency;
    co[i] = r.cost.toString();
    ccu[i] = r.costCurrency;
    pk[i] = r.planKey;
    pv[i] = r.planVersion;
    cv[i] = r.costVersion;
    ps[i] = r.periodStart;
    res[i] = r.reservationId ?? null;
    rel[i] = r.released?.toString() ?? null;
    ov[i] = r.overage?.toString() ?? null;
    chash[i] = r.contentHash;
    seq[i] = s;
    prev[i] = prevHash;
    h[i] = hash;
  }
  // unnest calls in the select list run in lockstep (one output row per element, the arrays
  // being of equal length) and stream their rows; unnest in FROM is a function scan, which
  // first stores all of its rows in a tuplestore and then reads them back.
  return sql`(select unnest(${textArrayBinary(t)}::text[]) as t, unnest(${textArrayBinary(id)}::text[]) as id, unnest(${textArrayBinary(c)}::text[]) as c,
              unnest(${textArrayBinary(m)}::text[]) as m, unnest(${timestamptzArrayBinary(oa)}::timestamptz[]) as oa, unnest(${timestamptzArrayBinary(ra)}::timestamptz[]) as ra,
              unnest(${jsonbObjectArrayBinary(q)}::jsonb[]) as q, unnest(${jsonbObjectArrayBinary(a)}::jsonb[]) as a, unnest(${plainArray(ch)}::numeric[]) as ch,
              unnest(${textArrayBinary(cu)}::text[]) as cu, unnest(${plainArray(co)}::numeric[]) as co, unnest(${textArrayBinary(ccu)}::text[]) as ccu,
              unnest(${textArrayBinary(pk)}::text[]) as pk, unnest(${int4ArrayBinary(pv)}::int4[]) as pv, unnest(${int4ArrayBinary(cv)}::int4[]) as cv,
              unnest(${timestamptzArrayBinary(ps)}::timestamptz[]) as ps, unnest(${textArrayBinary(res)}::text[]) as res, unnest(${plainArray(rel)}::numeric[]) as rel,
              unnest(${plainArray(ov)}::numeric[]) as ov, unnest(${textArrayBinary(chash)}::text[]) as chash, unnest(${int8ArrayBinary(seq)}::int8[]) as seq,
              unnest(${textArrayBinary(prev)}::text[]) as prev, unnest(${textArrayBinary(h)}::text[]) as h) as r`;
}

const partJson = (p: AppendPart) => ({
  t: p.key.tenantId,
  w: p.key.walletId,
  ev: p.expected.version,
  et: p.expected.token,
  nt: p.token,
  nv: p.balance.version,
  cur: p.balance.currency,
  av: p.balance.available.toString(),
  cr: p.balance.creditsRemaining.toString(),
  re: p.balance.reserved.toString(),
  ou: p.balance.overageUsed.toString(),
  ol: p.balance.overageLimit.toString(),
  g: p.balance.grants.map((g) => ({
    grantId: g.grantId,
    source: g.source,
    granted: g.granted.toString(),
    remaining: g.remaining.toString(),
    expiresAt: g.expiresAt?.toISOString() ?? null,
    priority: g.priority,
  })),
  due: p.nextDueAt?.toISOString(),
  // JSON.stringify renders Decimal through toJSON (exact text) and Date as ISO text.
  snap: p.snapshot ? walletParts(p.snapshot) : undefined,
  ls: p.log.seq,
  lh: p.log.hash,
});

/**
 * Wallet events, snapshots, the balance projection and the usage records through Kysely.
 * Loading is one statement and appending is one statement, so each is one round trip and the
 * append is atomic: everything of an append happens, or none of it.
 */
export class PostgresWalletStore implements WalletStore {
  constructor(
    private readonly db: Kysely<Database>,
    /** Announce each append with NOTIFY (server Postgres with several instances). */
    private readonly announce: boolean,
    /** Where appends go (a pipelined connection on server Postgres): see DatabaseHandle.appendDb. */
    private readonly appendDb: Kysely<Database> = db,
    /**
     * How the append's rows travel. "text": all as jsonb text read with jsonb_to_recordset
     * (PGlite). "binary" (server Postgres): wallet parts and events as binary jsonb, usage
     * records, the bulk of an ingestion append, as one array per column read with unnest.
     */
    private readonly jsonb: JsonbEncoding = "text",
  ) {}

  /**
   * The balance row (version, token, chain end), the latest snapshot and the events after it,
   * read in one statement so all three come from one consistent view of the database.
   */
  async load(key: WalletKey): Promise<LoadedWallet> {
    const { rows } = await sql<LoadRow>`/* prepare: wallet_load */
      with b as (
        select version, token, log_seq, log_hash from wallet_balances where tenant_id = ${key.tenantId} and wallet_id = ${key.walletId}
      ), s as (
        select version, state from wallet_snapshots
        where tenant_id = ${key.tenantId} and wallet_id = ${key.walletId} and version <= (select version from b)
      )
      select 0 as kind, coalesce(s.version, 0) as ord, s.version::text as version, null::text as type, s.state as payload,
             b.version::text as balance_version, b.token, b.log_seq::text as log_seq, b.log_hash
        from b left join s on true
      union all
      select 1, e.version, e.version::text, e.type, e.payload, null, null, null, null
        from wallet_events e
       where e.tenant_id = ${key.tenantId} and e.wallet_id = ${key.walletId}
         and e.version > coalesce((select version from s), 0) and e.version <= (select version from b)
      order by kind, ord
    `.execute(this.db);
    const head = rows[0];
    if (!head || head.kind !== 0) return { wallet: initialWallet, token: "", log: { seq: 0, hash: "" }, snapshotVersion: 0 };
    const from = head.payload ? decodeWalletState(head.payload) : initialWallet;
    const wallet = replay(
      rows.slice(1).map((r) => decodeWalletEvent(r.type ?? "", r.payload ?? {})),
      from,
    );
    return { wallet, token: head.token ?? "", log: { seq: Number(head.log_seq ?? 0), hash: head.log_hash ?? "" }, snapshotVersion: Number(head.version ?? 0) };
  }

  /**
   * One statement for any number of wallets. Each part's balance row is updated only where it
   * still holds the expected version and token (a concurrent append of the same wallet holds the
   * row's lock until it commits, then this one re-checks against what it wrote); the events,
   * usage records, snapshot and NOTIFY of a part are written only for the wallets whose row
   * moved. A wallet seen for the first time gets its row inserted instead.
   */
  async append(parts: readonly AppendPart[], at: Date): Promise<readonly PartOutcome[] | "duplicate"> {
    if (parts.length === 0) return [];
    const partsJson = jsonbArray(this.jsonb, parts, partJson);
    const eventsJson = jsonbArray(
      this.jsonb,
      parts.flatMap((p) => p.events.map((e, i) => ({ t: p.key.tenantId, w: p.key.walletId, v: p.expected.version + 1 + i, ty: e.type, p: e }))),
      (e) => e,
    );
    const records = parts.flatMap((p) => p.records);
    const recordRows = this.jsonb === "binary" ? recordColumnsSql(records) : recordsJsonRows(this.jsonb, records);
    // Rows read from jsonb, not plain json: json_to_recordset is dearer on Postgres 15 (it sets
    // up a field table for every object): inserting 1,000 usage records cost the backend 41-44
    // µs a row that way against 16-17 µs through jsonb. Cheaper still are arrays: decoding
    // 1,300 records (no insert) cost a backend 16-17 µs a row from binary jsonb and 5 µs from
    // one array per column, so on server Postgres the records travel that way. Sending the
    // arrays in binary rather than as literals took a further ~1.5-2 µs a record off the
    // backend (decoding only) and ~0.5 µs off building them in Node.
    // The inserts return nothing: a data-modifying WITH runs to completion whether or not
    // anything reads it, and rows it returned would be stored in a tuplestore for nobody.
    // (`note` is a plain SELECT, run only because the final select counts it.)
    const notify = this.announce
      ? sql`, note as (select pg_notify(${walletChannel}, json_build_array(p.t, p.w, p.nv)::text) from p join won on won.tenant_id = p.t and won.wallet_id = p.w)`
      : sql``;
    try {
      const { rows } = await sql<{ tenant_id: string; wallet_id: string }>`${sql.raw(`/* prepare: wallet_append${this.announce ? "_announced" : ""}${this.jsonb === "binary" ? "_columns" : ""} */`)}
        with p as (
          select * from jsonb_to_recordset(${partsJson}::jsonb) as p(
            t text, w text, ev int8, et text, nt text, nv int8, cur text, av numeric, cr numeric, re numeric,
            ou numeric, ol numeric, g jsonb, due timestamptz, snap jsonb, ls int8, lh text)
        ), upd as (
          update wallet_balances b set version = p.nv, token = p.nt, currency = p.cur, available = p.av,
                 credits_remaining = p.cr, reserved = p.re, overage_used = p.ou, overage_limit = p.ol, grants = p.g,
                 next_due_at = p.due, updated_at = ${at}, log_seq = p.ls, log_hash = p.lh
            from p
           where b.tenant_id = p.t and b.wallet_id = p.w and b.version = p.ev and b.token = p.et
          returning b.tenant_id, b.wallet_id
        ), ins as (
          insert into wallet_balances (tenant_id, wallet_id, currency, version, token, available, credits_remaining, reserved,
                                       overage_used, overage_limit, grants, next_due_at, updated_at, log_seq, log_hash)
          select p.t, p.w, p.cur, p.nv, p.nt, p.av, p.cr, p.re, p.ou, p.ol, p.g, p.due, ${at}, p.ls, p.lh from p where p.ev = 0 and p.et = ''
          on conflict (tenant_id, wallet_id) do nothing
          returning tenant_id, wallet_id
        ), won as (
          select tenant_id, wallet_id from upd union all select tenant_id, wallet_id from ins
        ), ev as (
          insert into wallet_events (tenant_id, wallet_id, version, type, payload, at)
          select e.t, e.w, e.v, e.ty, e.p, ${at}
            from jsonb_to_recordset(${eventsJson}::jsonb) as e(t text, w text, v int8, ty text, p jsonb)
            join won on won.tenant_id = e.t and won.wallet_id = e.w
        ), rec as (
          insert into usage_events (tenant_id, event_id, customer_id, model, occurred_at, received_at, quantities, attributes,
                                    charge, currency, cost, cost_currency, plan_key, plan_version, cost_version, period_start,
                                    reservation_id, released, overage, content_hash, chain_seq, prev_hash, hash)
          select r.t, r.id, r.c, r.m, r.oa, r.ra, r.q, r.a, r.ch, r.cu, r.co, r.ccu, r.pk, r.pv, r.cv, r.ps,
                 r.res, r.rel, r.ov, r.chash, r.seq, r.prev, r.h
            from ${recordRows}
            join won on won.tenant_id = r.t and won.wallet_id = r.c
        ), snap as (
          insert into wallet_snapshots (tenant_id, wallet_id, version, state)
          select p.t, p.w, p.nv, p.snap from p join won on won.tenant_id = p.t and won.wallet_id = p.w where p.snap is not null
          on conflict (tenant_id, wallet_id) do update set version = excluded.version, state = excluded.state
        )${notify}
        select tenant_id, wallet_id${this.announce ? sql`, (select count(*) from note) as notes` : sql``}
          from won
      `.execute(this.appendDb);
      const won = new Set(rows.map((r) => `${r.tenant_id}\u0000${r.wallet_id}`));
      return parts.map((p) => (won.has(`${p.key.tenantId}\u0000${p.key.walletId}`) ? "written" : "conflict"));
    } catch (error) {
      const constraint = uniqueViolationOf(error);
      if (constraint === undefined) throw error;
      // A usage event id or a reservation id already written (a racing retry): nothing was.
      if (constraint.startsWith("usage_events") || constraint === "wallet_events_reservation_uq") return "duplicate";
      // Events at these versions exist although the balance row said otherwise: a writer that
      // does not compare tokens (an older release during a rolling upgrade). Reload all.
      return parts.map(() => "conflict");
    }
  }

  async taken(part: AppendPart): Promise<TakenKeys> {
    const eventIds = part.records.map((r) => r.record.eventId);
    const reservationIds = part.events.flatMap((e) => (e.type === "FundsReserved" ? [e.reservationId] : []));
    const [records, holds] = await Promise.all([
      eventIds.length === 0
        ? []
        : this.db.selectFrom("usage_events").select("event_id").where("tenant_id", "=", part.key.tenantId).where("event_id", "=", sql<string>`any(${eventIds}::text[])`).execute(),
      reservationIds.length === 0
        ? []
        : sql<{ id: string }>`select payload ->> 'reservationId' as id from wallet_events
             where tenant_id = ${part.key.tenantId} and wallet_id = ${part.key.walletId} and type = 'FundsReserved'
               and (payload ->> 'reservationId') = any(${reservationIds}::text[])`
            .execute(this.db)
            .then((r) => r.rows),
    ]);
    return { eventIds: new Set(records.map((r) => r.event_id)), reservationIds: new Set(holds.map((r) => r.id)) };
  }

  async findHold(key: WalletKey, reservationId: string): Promise<StoredHold | undefined> {
    const { rows } = await sql<{ payload: Record<string, unknown>; at: Date }>`
      select payload, at from wallet_events
       where tenant_id = ${key.tenantId} and wallet_id = ${key.walletId} and type = 'FundsReserved'
         and (payload ->> 'reservationId') = ${reservationId}`.execute(this.db);
    const row = rows[0];
    if (!row) return undefined;
    const e = decodeWalletEvent("FundsReserved", row.payload);
    if (e.type !== "FundsReserved") return undefined;
    return { reservationId: e.reservationId, amount: e.amount, expiresAt: e.expiresAt, model: e.model, at: row.at };
  }

  async listEvents(key: WalletKey, afterVersion: number, limit: number): Promise<readonly StoredWalletEvent[]> {
    const rows = await this.db
      .selectFrom("wallet_events")
      .select(["version", "type", "payload", "at"])
      .where("tenant_id", "=", key.tenantId)
      .where("wallet_id", "=", key.walletId)
      .where("version", ">", String(afterVersion))
      .orderBy("version")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ version: Number(r.version), at: r.at, event: decodeWalletEvent(r.type, r.payload) }));
  }

  async getBalance(key: WalletKey): Promise<Balance | undefined> {
    const row = await this.db
      .selectFrom("wallet_balances")
      .selectAll()
      .where("tenant_id", "=", key.tenantId)
      .where("wallet_id", "=", key.walletId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      currency: row.currency,
      version: Number(row.version),
      available: decimalFromDb(row.available),
      creditsRemaining: decimalFromDb(row.credits_remaining),
      reserved: decimalFromDb(row.reserved),
      overageUsed: decimalFromDb(row.overage_used),
      overageLimit: decimalFromDb(row.overage_limit),
      grants: row.grants.map((g) => ({
        grantId: g.grantId,
        source: g.source as GrantSource,
        granted: decimalFromDb(g.granted),
        remaining: decimalFromDb(g.remaining),
        expiresAt: g.expiresAt ? new Date(g.expiresAt) : undefined,
        priority: g.priority,
      })),
    };
  }

  async dueWallets(now: Date, limit: number): Promise<readonly { key: WalletKey; dueAt: Date }[]> {
    const rows = await this.db
      .selectFrom("wallet_balances")
      .select(["tenant_id", "wallet_id", "next_due_at"])
      .where("next_due_at", "<=", now)
      .orderBy("next_due_at")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ key: { tenantId: r.tenant_id, walletId: r.wallet_id }, dueAt: r.next_due_at ?? now }));
  }

}
