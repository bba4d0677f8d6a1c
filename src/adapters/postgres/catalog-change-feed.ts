import type { Logger } from "pino";
import type { CatalogChangeFeed } from "./catalog-cache.js";
import { ListenConnection } from "./listen-connection.js";

const channel = "tollgate_catalog";

/** One process owns embedded Postgres, so there is nobody else to tell. */
export class LocalCatalogChangeFeed implements CatalogChangeFeed {
  async publish(): Promise<void> {}
  subscribe(): void {}
}

/**
 * Catalog changes announced with Postgres NOTIFY so every instance drops its cached copy. While
 * the listening connection is down, announcements are lost, so the cache forgets everything
 * when the connection drops and again when it is restored.
 */
export class PgCatalogChangeFeed implements CatalogChangeFeed {
  private readonly listeners: ((tenantId: string) => void)[] = [];
  private readonly connection: ListenConnection;

  constructor(
    url: string,
    private readonly publisher: { notify(channel: string, payload: string): Promise<void> },
    logger: Logger,
    onGap: () => void,
  ) {
    const notify = (tenantId: string) => {
      for (const listen of this.listeners) listen(tenantId);
    };
    this.connection = new ListenConnection(url, channel, notify, onGap, logger);
  }

  async start(): Promise<void> {
    await this.connection.start();
  }

  async publish(tenantId: string): Promise<void> {
    await this.publisher.notify(channel, tenantId);
  }

  subscribe(onChange: (tenantId: string) => void): void {
    this.listeners.push(onChange);
  }

  async stop(): Promise<void> {
    await this.connection.stop();
  }
}
