import pg from "pg";
import type { Logger } from "pino";
import type { CatalogChangeFeed } from "./catalog-cache.js";

const channel = "tollgate_catalog";

/** One process owns embedded Postgres, so there is nobody else to tell. */
export class LocalCatalogChangeFeed implements CatalogChangeFeed {
  async publish(): Promise<void> {}
  subscribe(): void {}
}

/**
 * Catalog changes announced with Postgres NOTIFY so every instance drops its cached copy. If
 * the listening connection drops, the cache cannot trust what it missed: it forgets everything
 * and reconnects.
 */
export class PgCatalogChangeFeed implements CatalogChangeFeed {
  private readonly listeners: ((tenantId: string) => void)[] = [];
  private client: pg.Client | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly publisher: { notify(channel: string, payload: string): Promise<void> },
    private readonly logger: Logger,
    private readonly onLost: () => void,
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on("notification", (message) => {
      if (message.channel === channel && message.payload) for (const listen of this.listeners) listen(message.payload);
    });
    client.on("error", (error) => {
      this.logger.warn({ err: error }, "catalog change feed lost its connection; dropping cached catalog and reconnecting");
      this.onLost();
      if (!this.closed) setTimeout(() => void this.start().catch(() => undefined), 1000).unref();
    });
    await client.connect();
    await client.query(`listen ${channel}`);
    this.client = client;
  }

  async publish(tenantId: string): Promise<void> {
    await this.publisher.notify(channel, tenantId);
  }

  subscribe(onChange: (tenantId: string) => void): void {
    this.listeners.push(onChange);
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }
}
