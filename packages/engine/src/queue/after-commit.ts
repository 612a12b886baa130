import { sql, type Transaction } from "kysely";
import type { Schema } from "@bifrost/storage/schema.js";

export type TransactionOutcome = "committed" | "rolled-back" | "unknown";

/**
 * Resolves once `trx` has finished. A broker cannot join a database transaction, so a
 * queue that is handed the caller's transaction publishes only after it committed
 * (publishing earlier would let a consumer look for the execution record before it is
 * visible, and the executor treats a missing record as "nothing to do").
 *
 * Kysely has no commit hook, but a finished transaction refuses further queries with
 * "Transaction is already committed" / "already rolled back": probe with `select 1`
 * (a no-op inside the still-open transaction) until it does. Gives up as "unknown" after
 * `timeoutMs`.
 */
export async function transactionOutcome(trx: Transaction<Schema>, timeoutMs = 30_000): Promise<TransactionOutcome> {
  const deadline = Date.now() + timeoutMs;
  let wait = 2;
  for (;;) {
    // Let the caller's callback resolve first: the common case commits within a tick or two.
    await new Promise((r) => setTimeout(r, wait));
    try {
      await sql`select 1`.execute(trx);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/already committed/i.test(message)) return "committed";
      if (/already rolled back/i.test(message)) return "rolled-back";
      // Any other error (e.g. PostgreSQL's "current transaction is aborted") means it is
      // still open but doomed: keep waiting for Kysely to roll it back.
    }
    if (Date.now() >= deadline) return "unknown";
    wait = Math.min(wait * 2, 50);
  }
}
