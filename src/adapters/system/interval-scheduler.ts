import type { Logger } from "pino";

/**
 * Runs a task every `intervalMs`, never overlapping itself, logging failures and carrying on.
 * `stop` waits for a run in progress to finish.
 */
export class IntervalScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly task: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.task()
        .then(
          () => undefined,
          (error: unknown) => this.logger.error({ err: error, task: this.name }, "scheduled task failed"),
        )
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    this.timer = setTimeout(tick, this.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
