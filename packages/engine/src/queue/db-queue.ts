import { randomUUID } from "node:crypto";
import type { Transaction } from "kysely";
import { JobsRepo } from "@bifrost/storage/jobs.repo.js";
import type { Schema } from "@bifrost/storage/schema.js";
import type { Queue, QueueMessage } from "./queue.js";

/**
 * The embedded queue: a durable jobs table in the platform's own database. A job is
 * deleted only after its handler finished, so a job claimed by a process that died is
 * still there after a restart (see recovery). Enqueues from this process wake the
 * dispatcher at once; a timer covers delayed jobs and writers in other processes.
 */
export class DbQueue implements Queue {
  readonly transactional = true;
  readonly owner = `queue-${randomUUID()}`;
  private handler: ((m: QueueMessage) => Promise<void>) | null = null;
  private concurrency = 1;
  private inFlight = 0;
  private pumping = false;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private claims = 0;
  private readonly active = new Set<Promise<void>>();

  constructor(
    private readonly jobs: JobsRepo,
    private readonly options: {
      pollMs?: number;
      onError?: (error: unknown) => void;
      /** Runs a write, typically through the group-commit batcher so acks share commits. */
      write?: <T>(op: (trx: Transaction<Schema>) => Promise<T>) => Promise<T>;
    } = {},
  ) {}

  async enqueue(message: QueueMessage, options: { delayMs?: number; trx?: Transaction<Schema> } = {}): Promise<void> {
    const now = Date.now();
    const runAt = new Date(now + (options.delayMs ?? 0)).toISOString();
    await this.jobs.enqueue(message.executionId, runAt, new Date(now).toISOString(), options.trx);
    this.wake(options.delayMs ?? 0);
  }

  consume(handler: (message: QueueMessage) => Promise<void>, options: { concurrency: number }): void {
    this.handler = handler;
    this.concurrency = options.concurrency;
    this.wake(0);
  }

  remove(executionId: string): Promise<boolean> {
    return this.jobs.deleteForExecution(executionId);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.active]);
  }

  /** Pumps now (or after `delayMs`), in a later tick so the enqueuing transaction has committed. */
  private wake(delayMs: number): void {
    if (!this.handler || this.stopped) return;
    if (delayMs > 0) {
      this.schedule(delayMs);
      return;
    }
    setImmediate(() => void this.pump());
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pump();
    }, Math.max(0, Math.min(delayMs, this.options.pollMs ?? 1000)));
    this.timer.unref();
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        const free = this.concurrency - this.inFlight;
        if (free <= 0 || !this.handler || this.stopped) break;
        const token = `${this.owner}:${++this.claims}`;
        const claimed = await this.jobs.claim(token, new Date().toISOString(), Math.min(free, 100));
        for (const job of claimed) this.deliver(job.id, job.executionId, token);
        if (claimed.length === free) {
          this.again = true;
        } else {
          // Fewer due jobs than free slots: sleep until the next one is due.
          const next = await this.jobs.nextRunAt();
          this.schedule(next ? Date.parse(next) - Date.now() : (this.options.pollMs ?? 1000));
        }
      } while (this.again);
    } catch (error) {
      this.options.onError?.(error);
      this.schedule(this.options.pollMs ?? 1000);
    } finally {
      this.pumping = false;
    }
  }

  private deliver(jobId: number, executionId: string, token: string): void {
    this.inFlight++;
    const p = (async () => {
      try {
        await this.handler!({ executionId });
        const write = this.options.write;
        if (write) await write((trx) => this.jobs.complete(jobId, token, trx));
        else await this.jobs.complete(jobId, token);
      } catch (error) {
        // The handler records failures itself; reaching here means the database is in
        // trouble. Leave the job locked: recovery re-runs it after a restart.
        this.options.onError?.(error);
      } finally {
        this.inFlight--;
        this.wake(0);
      }
    })();
    this.active.add(p);
    void p.finally(() => this.active.delete(p));
  }
}
