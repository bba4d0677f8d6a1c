import type { PostgresPool, PostgresPoolClient } from "kysely";
import pg from "pg";

/**
 * One server connection in pg's pipeline mode, shared by every caller, behind the pool
 * interface Kysely's Postgres dialect expects.
 *
 * Statements sent on it are executed by Postgres strictly in the order they were sent, without
 * waiting for each other's answers. Wallet appends go through it so several appends can be in
 * flight at once while each still runs after the one before (an append decided on top of
 * another is only valid if that one committed first). Only single statements go here: a
 * transaction would interleave with other callers' statements.
 *
 * A connection that fails is dropped; the next statement opens a new one.
 */
export class PipelinedLane implements PostgresPool {
  private client: Promise<pg.Client> | undefined;
  private ended = false;

  constructor(
    private readonly url: string,
    private readonly onError: (error: Error) => void,
    private readonly prepare: (client: pg.Client) => void,
  ) {}

  async connect(): Promise<PostgresPoolClient> {
    if (this.ended) throw new Error("the database has been closed");
    const client = await this.open();
    return { query: client.query.bind(client) as PostgresPoolClient["query"], release: () => {} };
  }

  private open(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.url, pipeline: true } as pg.ClientConfig);
    const opening = client.connect().then(
      () => {
        this.prepare(client);
        return client;
      },
      (error: unknown) => {
        if (this.client === opening) this.client = undefined;
        throw error;
      },
    );
    client.on("error", (error) => {
      if (this.client === opening) this.client = undefined;
      this.onError(error);
    });
    client.on("end", () => {
      if (this.client === opening) this.client = undefined;
    });
    this.client = opening;
    return opening;
  }

  async end(): Promise<void> {
    this.ended = true;
    const client = this.client;
    this.client = undefined;
    if (client) await (await client.catch(() => undefined))?.end().catch(() => undefined);
  }
}
