import { PGlite } from "@electric-sql/pglite";
import { Kysely, Migrator, PostgresDialect, type MigrationResultSet } from "kysely";
import pg from "pg";
import { resolve } from "node:path";
import { lockDataDir } from "./data-dir-lock.js";
import { migrationProvider } from "./migrations/index.js";
import { PGliteDialect } from "./pglite-dialect.js";
import { PipelinedLane } from "./pipelined-lane.js";
import type { Database } from "./tables/index.js";
import { TracedDialect } from "./traced-dialect.js";

export type DatabaseKind = "embedded" | "server";

export type DatabaseHandle = {
  readonly db: Kysely<Database>;
  /**
   * Where wallet appends go: on server Postgres one pipelined connection (statements run in the
   * order sent, many in flight); on embedded Postgres the same as `db`.
   */
  readonly appendDb: Kysely<Database>;
  readonly kind: DatabaseKind;
  /** Where the data lives: the data directory or the server URL without credentials. */
  readonly location: string;
  /** Server Postgres: the pool's connections by state (for metrics). */
  readonly poolStats?: () => { total: number; idle: number; waiting: number };
  close(): Promise<void>;
};

export type DatabaseOptions =
  | {
      readonly kind: "server";
      readonly url: string;
      readonly poolMax: number;
      /** Told when an idle pooled connection dies (Postgres restarted, connection killed). */
      readonly onIdleError?: (error: Error) => void;
    }
  | { readonly kind: "embedded"; readonly dataDir: string; readonly purpose: string }
  /** In-memory embedded Postgres, for tests that need no files. */
  | { readonly kind: "memory" };

const INT8_OID = 20;

/** int8 arrives as a string on both drivers, like `numeric`: callers parse it with BigInt. */
const pgliteParsers = { [INT8_OID]: (value: string) => value };

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "postgres";
  }
}

/**
 * Statements whose text starts with this comment are run as named prepared statements on
 * server Postgres: parsed and planned once per connection instead of on every call. The hot
 * wallet append is one such statement; planning its CTEs cost more than executing them.
 * PGlite ignores the comment.
 */
const preparedMarker = /^\/\* prepare: ([a-z0-9_-]+) \*\//;

type QueryFn = (...args: unknown[]) => unknown;

/** Makes a client run marked statements as named prepared statements. */
function prepareMarked(client: pg.PoolClient | pg.Client): void {
  const query = client.query.bind(client) as QueryFn;
  (client as unknown as { query: QueryFn }).query = (text: unknown, values?: unknown, callback?: unknown) => {
    const name = typeof text === "string" ? preparedMarker.exec(text)?.[1] : undefined;
    if (name === undefined) return query(text, values, callback);
    return query({ name, text, values }, callback);
  };
}

/** Opens server Postgres (pg pool) or embedded Postgres (PGlite) behind the same Kysely API. */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.kind === "server") {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolMax });
    // An idle connection that dies is dropped from the pool and the next query opens a new one.
    // Without a listener, pg would raise the error as an uncaught exception and end the process.
    pool.on("error", (error) => options.onIdleError?.(error));
    pool.on("connect", prepareMarked);
    const dbName = new URL(options.url).pathname.slice(1) || "postgres";
    const db = new Kysely<Database>({ dialect: new TracedDialect(new PostgresDialect({ pool }), "postgresql", dbName) });
    const lane = new PipelinedLane(options.url, (error) => options.onIdleError?.(error), prepareMarked);
    const appendDb = new Kysely<Database>({ dialect: new TracedDialect(new PostgresDialect({ pool: lane }), "postgresql", dbName) });
    return {
      db,
      appendDb,
      kind: "server",
      location: redact(options.url),
      poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
      close: async () => {
        await appendDb.destroy();
        await db.destroy();
      },
    };
  }
  const unlock = options.kind === "embedded" ? lockDataDir(options.dataDir, options.purpose) : () => {};
  try {
    const dataDir = options.kind === "embedded" ? resolve(options.dataDir, "pgdata") : undefined;
    const pglite = await PGlite.create({ ...(dataDir ? { dataDir } : {}), parsers: pgliteParsers });
    const db = new Kysely<Database>({ dialect: new TracedDialect(new PGliteDialect(pglite), "postgresql", "embedded") });
    return {
      db,
      appendDb: db,
      kind: "embedded",
      location: dataDir ?? "memory",
      close: async () => {
        await db.destroy();
        await pglite.close();
        unlock();
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}

/** Applies every pending migration; throws with the failing migration's name if one fails. */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`migration ${failed} failed: ${result.error instanceof Error ? result.error.message : String(result.error)}`, {
      cause: result.error,
    });
  }
  return result;
}
