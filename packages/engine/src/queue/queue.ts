import type { Transaction } from "kysely";
import type { Schema } from "@bifrost/storage/schema.js";

/**
 * The execution queue. The message is just the execution id: the record in the
 * database is the source of truth, so a duplicated message finds the run already done.
 */
export interface QueueMessage {
  executionId: string;
}

export interface Queue {
  /**
   * True when `enqueue` can join the caller's database transaction (the jobs table):
   * record and message commit together. Otherwise the caller publishes after its commit.
   */
  readonly transactional?: boolean;
  /** Queues a run, optionally inside the transaction that created its record. */
  enqueue(message: QueueMessage, options?: { delayMs?: number; trx?: Transaction<Schema> }): Promise<void>;
  /** Starts delivering messages; `handler` resolving acknowledges (removes) the message. */
  consume(handler: (message: QueueMessage) => Promise<void>, options: { concurrency: number }): void;
  /** Removes a queued message (a cancelled run), if it is still waiting. */
  remove(executionId: string): Promise<boolean>;
  stop(): Promise<void>;
}
