import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import pg from "pg";
import { int4ArrayBinary, int8ArrayBinary, jsonbObjectArrayBinary, textArrayBinary, timestamptzArrayBinary } from "../../src/adapters/postgres/binary-array.js";
import { backends, createServerDatabase } from "../support/databases.js";

// The binary arrays go only to a Postgres server (the embedded database reads records as
// jsonb), so this runs where the suite has one.
const onServer = backends().includes("server") ? describe : describe.skip;

/** Text Postgres stores: any code points but NUL, which no text value can hold. */
const storableText = fc.string({ unit: "binary" }).map((s) => s.replaceAll("\u0000", ""));

onServer("binary arrays as Postgres reads them", () => {
  let db: { url: string; drop(): Promise<void> };
  let client: pg.Client;
  beforeAll(async () => {
    db = await createServerDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it("reads any text column as the same strings, and any objects as the same jsonb", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(storableText, { nil: null }), { maxLength: 40 }), fc.array(fc.dictionary(storableText, storableText), { maxLength: 20 }), async (texts, objects) => {
        const { rows } = await client.query<{ t: (string | null)[]; j: string[]; n: number }>(
          "select $1::text[] as t, array(select x::text from unnest($2::jsonb[]) x) as j, cardinality($1::text[]) as n",
          [textArrayBinary(texts), jsonbObjectArrayBinary(objects)],
        );
        expect(rows[0]?.t).toEqual(texts);
        expect(rows[0]?.n).toBe(texts.length);
        // Compared as jsonb: Postgres normalizes key order and white space the same way for both.
        const expected = await client.query<{ j: string[] }>("select array(select x::text from unnest($1::jsonb[]) x) as j", [objects.map((o) => JSON.stringify(o))]);
        expect(rows[0]?.j).toEqual(expected.rows[0]?.j);
      }),
      { numRuns: 60 },
    );
  });

  it("reads integers and times exactly, to the millisecond, in order", async () => {
    const dates = fc.date({ min: new Date(Date.UTC(1900, 0, 1)), max: new Date(Date.UTC(2200, 0, 1)), noInvalidDate: true });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer()), fc.array(fc.maxSafeInteger()), fc.array(dates), async (int4s, int8s, times) => {
        const { rows } = await client.query<{ a: number[]; b: string[]; c: string[] }>(
          `select $1::int4[] as a, array(select x::text from unnest($2::int8[]) x) as b,
                  array(select to_char(x at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') from unnest($3::timestamptz[]) x) as c`,
          [int4ArrayBinary(int4s), int8ArrayBinary(int8s), timestamptzArrayBinary(times)],
        );
        expect(rows[0]?.a).toEqual(int4s);
        expect(rows[0]?.b).toEqual(int8s.map(String));
        expect(rows[0]?.c).toEqual(times.map((d) => d.toISOString()));
      }),
      { numRuns: 60 },
    );
  });

  it("reads empty arrays as empty, not NULL", async () => {
    const { rows } = await client.query<{ t: string[]; j: number; i: number }>("select $1::text[] as t, cardinality($2::jsonb[]) as j, cardinality($3::int8[]) as i", [
      textArrayBinary([]),
      jsonbObjectArrayBinary([]),
      int8ArrayBinary([]),
    ]);
    expect(rows[0]).toEqual({ t: [], j: 0, i: 0 });
  });
});
