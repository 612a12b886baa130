import type { Kysely, Transaction } from "kysely";
import type { Schema } from "@bifrost/storage/schema.js";

type Op = {
  run: (trx: Transaction<Schema>) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** One statement: alone in a batch it needs no transaction of its own. */
  single?: boolean;
};

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
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.flushing = this.flushing.then(() => this.flush());
    });
  }

  /**
   * A write of exactly one statement. Batched with others it joins their transaction;
   * alone it runs without one (autocommit), which on PostgreSQL saves the BEGIN and
   * COMMIT round trips — most writes of a lightly loaded worker are alone.
   */
  writeOne<T>(run: (db: Kysely<Schema>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject, single: true });
      this.schedule();
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
    if (ops.length === 1 && ops[0]!.single) {
      const op = ops[0]!;
      try {
        op.resolve(await op.run(this.db as Transaction<Schema>));
      } catch (error) {
        op.reject(error);
      }
      return;
    }
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
