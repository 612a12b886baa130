import type { Transaction } from "kysely";
import type { Schema } from "@bifrost/storage/schema.js";
import type { Queue, QueueMessage } from "./queue.js";

interface Held {
  message: QueueMessage;
  /** Epoch ms before which the run must not start (its delay, counted from the first try). */
  notBefore: number;
}

export interface RepublishingQueueOptions {
  /** First wait before publishing held messages again; doubles up to `maxRetryMs`. */
  initialRetryMs?: number;
  maxRetryMs?: number;
  log?: (level: "warn" | "info", message: string) => void;
}

/**
 * Keeps runs whose publish failed. A broker cannot join the transaction that writes an
 * execution record, so the record commits first and the message is published after; if
 * the broker is down (restarting, unreachable) that publish fails while the run already
 * exists as Pending. This wrapper holds such messages and publishes them again, with
 * backoff, until the broker takes them — the caller is not failed for a run that is safely
 * recorded. While anything is held, new messages join the back of the line without first
 * waiting for a broker that is known to be down.
 *
 * Delays are kept: a message for a run due at T is published with the time left until T.
 * A retried publish whose first confirm was lost may duplicate a message; the executor
 * runs a run once however often it is delivered.
 */
export class RepublishingQueue implements Queue {
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | null = null;
  private retryMs: number;
  private flushing = false;
  private stopped = false;

  constructor(
    private readonly inner: Queue,
    private readonly options: RepublishingQueueOptions = {},
  ) {
    this.retryMs = options.initialRetryMs ?? 500;
  }

  get transactional(): boolean | undefined {
    return this.inner.transactional;
  }

  /** Messages waiting for the broker (for health checks and tests). */
  get heldCount(): number {
    return this.held.size;
  }

  async enqueue(message: QueueMessage, options: { delayMs?: number; trx?: Transaction<Schema> } = {}): Promise<void> {
    if (options.trx) return this.inner.enqueue(message, options);
    const notBefore = Date.now() + Math.max(0, options.delayMs ?? 0);
    if (this.held.size > 0) return this.hold(message, notBefore);
    try {
      await this.inner.enqueue(message, options);
    } catch (error) {
      // Only an unreachable broker is worth waiting for: a message the queue refuses
      // outright would block every message held behind it.
      if (!isTransient(error)) throw error;
      this.options.log?.("warn", `could not queue execution ${message.executionId}; it is kept and published again when the queue is back: ${describe(error)}`);
      this.hold(message, notBefore);
    }
  }

  consume(handler: (message: QueueMessage) => Promise<void>, options: { concurrency: number }): void {
    this.inner.consume(handler, options);
  }

  remove(executionId: string): Promise<boolean> {
    // A cancelled run still held is simply not published (the consumer would skip it anyway).
    if (this.held.delete(executionId)) return Promise.resolve(true);
    return this.inner.remove(executionId);
  }

  /**
   * Tries once more to publish what is held, then stops the inner queue. Whatever still
   * cannot be published stays Pending in the database (logged here).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.held.size > 0) await this.flush();
    if (this.held.size > 0) this.options.log?.("warn", `${this.held.size} execution(s) could not be queued before shutdown; they stay Pending or Scheduled until a process publishes them again`);
    await this.inner.stop();
  }

  private hold(message: QueueMessage, notBefore: number): void {
    if (!this.held.has(message.executionId)) this.held.set(message.executionId, { message, notBefore });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush().then(() => {
        if (this.held.size > 0) this.schedule();
      });
    }, this.retryMs);
    this.timer.unref();
  }

  /** Publishes held messages in order; stops at the first failure and backs off. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (const [id, h] of this.held) {
        try {
          await this.inner.enqueue(h.message, { delayMs: Math.max(0, h.notBefore - Date.now()) });
        } catch (error) {
          if (!isTransient(error)) {
            // Refused for good: drop it rather than block the rest (the run stays Pending
            // and the stale-run re-publisher looks at it again later).
            this.held.delete(id);
            this.options.log?.("warn", `execution ${id} could not be queued and is no longer retried here: ${describe(error)}`);
            continue;
          }
          this.retryMs = Math.min(this.options.maxRetryMs ?? 10_000, this.retryMs * 2);
          return;
        }
        this.held.delete(id);
      }
      this.retryMs = this.options.initialRetryMs ?? 500;
      this.options.log?.("info", "the queue is back: every held execution was published");
    } finally {
      this.flushing = false;
    }
  }
}

/** Errors of the programme or of the message itself (bad delay, bad argument) are not worth retrying. */
function isTransient(error: unknown): boolean {
  return !(error instanceof RangeError || error instanceof TypeError);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
