import type { IntegrationsService } from "./integrations.service.js";

/**
 * The background job that renews OAuth tokens about to expire, so runs rarely wait for a
 * refresh. Every process with the server or worker role runs one; the connection lease
 * makes them renew each token once between them. A tick never overlaps the previous one.
 */
export class TokenRefresher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly integrations: IntegrationsService,
    private readonly intervalMs: number,
    private readonly report: (message: string) => void,
  ) {}

  start(): void {
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** One pass: renews what would go stale before the next pass. */
  tick(): Promise<void> {
    this.running ??= this.integrations
      .refreshExpiring(this.intervalMs, this.report)
      .then(() => undefined)
      .catch((error: unknown) => this.report(`integrations: background refresh failed: ${(error as Error).message}`))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
