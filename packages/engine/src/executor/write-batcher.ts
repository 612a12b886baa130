import type { Kysely, Transaction } from "kysely";
import type { Schema } from "@bifrost/storage/schema.js";

type Op = { run: (trx: Transaction<Schema>) => Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void };

/**
 * Group commit: writes queued in the same tick share one transaction. Under load this
 * turns hundreds of commits a second into a handful, and each caller's promise still
 * resolves only once its write is committed. If a batch fails, its writes are retried
 * one by one, so one bad write never takes others down with it.
 */
export class WriteBatcher {
  private queue: Op[] = [];
  private scheduled = false;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly db: Kysely<Schema>) {}

  write<T>(run: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.flushing = this.flushing.then(() => this.flush());
        });
      }
    });
  }

  /** Resolves once everything queued so far is committed. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.scheduled) {
      await new Promise((r) => setImmediate(r));
      await this.flushing;
    }
    await this.flushing;
  }

  private async flush(): Promise<void> {
    const ops = this.queue;
    this.queue = [];
    this.scheduled = false;
    if (ops.length === 0) return;
    const results: unknown[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const op of ops) results.push(await op.run(trx));
      });
      ops.forEach((op, i) => op.resolve(results[i]));
    } catch {
      for (const op of ops) {
        try {
          op.resolve(await this.db.transaction().execute((trx) => op.run(trx)));
        } catch (error) {
          op.reject(error);
        }
      }
    }
  }
}
