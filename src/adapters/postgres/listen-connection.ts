import pg from "pg";
import type { Logger } from "pino";

/** Backoff between reconnection attempts, capped: a long outage is retried every few seconds. */
const retryDelaysMs = [250, 500, 1000, 2000, 5000];

/**
 * A dedicated connection that LISTENs on one channel and keeps doing so: when it drops it
 * reconnects with backoff until it succeeds or is stopped. Notifications sent while it is away
 * are lost, so `onGap` is called when the connection drops and again when it is restored:
 * whoever relied on the notifications must resynchronise.
 */
export class ListenConnection {
  private client: pg.Client | undefined;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onNotification: (payload: string) => void,
    private readonly onGap: () => void,
    private readonly logger: Logger,
  ) {}

  /** Connects once; throws if the first connection fails (startup should fail loudly). */
  async start(): Promise<void> {
    this.client = await this.connect();
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.url });
    client.on("notification", (message) => {
      if (message.channel === this.channel && message.payload) this.onNotification(message.payload);
    });
    client.on("error", (error) => {
      this.logger.warn({ err: error, channel: this.channel }, "listening connection lost; reconnecting");
      void client.end().catch(() => undefined);
      this.onGap();
      void this.reconnect();
    });
    await client.connect();
    await client.query(`listen ${this.channel}`);
    return client;
  }

  private async reconnect(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, retryDelaysMs[Math.min(attempt, retryDelaysMs.length - 1)]).unref());
      if (this.stopped) return;
      try {
        this.client = await this.connect();
        this.logger.info({ channel: this.channel, attempts: attempt + 1 }, "listening connection restored");
        this.onGap();
        return;
      } catch (error) {
        this.logger.warn({ err: error, channel: this.channel, attempt: attempt + 1 }, "reconnecting the listening connection failed; retrying");
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.end().catch(() => undefined);
  }
}
