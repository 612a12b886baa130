import type { Kysely, Transaction } from "kysely";
import type { DatabaseDialect } from "./database.js";
import { dialectOf } from "./dialect.js";
import type { Schema } from "./schema.js";

export interface ClaimedJob {
  id: number;
  executionId: string;
  runAt: string;
}

type Db = Kysely<Schema> | Transaction<Schema>;

/** The durable jobs table behind the embedded queue. One row per queued execution. */
export class JobsRepo {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly dialect: DatabaseDialect = dialectOf(db),
  ) {}

  /**
   * Queues an execution. One row per execution: queuing it again (a retry queued while
   * its previous delivery is still finishing) re-arms the row with the new time and
   * releases its lock, so the finishing delivery's `complete` leaves it alone.
   */
  async enqueue(executionId: string, runAt: string, now: string, db: Db = this.db): Promise<void> {
    await db
      .insertInto("jobs")
      .values({ execution_id: executionId, run_at: runAt, locked_by: null, locked_at: null, created_at: now })
      .onConflict((oc) => oc.column("execution_id").doUpdateSet({ run_at: runAt, locked_by: null, locked_at: null }))
      .execute();
  }

  /**
   * Locks up to `limit` due jobs with `token` (unique per claim, prefixed by the owner),
   * oldest first. Concurrent claimers never take the same job: on SQLite writes are
   * serialized; on PostgreSQL the candidates are locked `FOR UPDATE SKIP LOCKED`, so a
   * second claimer passes over rows another is taking instead of waiting for them, and the
   * outer `locked_by IS NULL` (re-checked on the newest row version) refuses a row a
   * committed claim already took.
   */
  async claim(token: string, now: string, limit: number): Promise<ClaimedJob[]> {
    const postgres = this.dialect === "postgres";
    const rows = await this.db
      .updateTable("jobs")
      .set({ locked_by: token, locked_at: now })
      .where("id", "in", (eb) =>
        eb
          .selectFrom("jobs")
          .select("id")
          .where("locked_by", "is", null)
          .where("run_at", "<=", now)
          .orderBy("run_at")
          .orderBy("id")
          .limit(limit)
          .$if(postgres, (qb) => qb.forUpdate().skipLocked()),
      )
      .where("locked_by", "is", null)
      .returning(["id", "execution_id", "run_at"])
      .execute();
    const claimed = rows.map((r) => ({ id: Number(r.id), executionId: r.execution_id, runAt: r.run_at }));
    // PostgreSQL returns updated rows in no particular order.
    if (postgres) claimed.sort((a, b) => (a.runAt < b.runAt ? -1 : a.runAt > b.runAt ? 1 : a.id - b.id));
    return claimed;
  }

  /** Removes a delivered job, unless it was re-armed (or re-claimed) since `token` claimed it. */
  async complete(id: number, token: string, db: Db = this.db): Promise<void> {
    await db.deleteFrom("jobs").where("id", "=", id).where("locked_by", "=", token).execute();
  }

  async deleteForExecution(executionId: string, db: Db = this.db): Promise<boolean> {
    const r = await db.deleteFrom("jobs").where("execution_id", "=", executionId).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  /** When the earliest unlocked job is due, or null when none waits. */
  async nextRunAt(): Promise<string | null> {
    const row = await this.db
      .selectFrom("jobs")
      .select((eb) => eb.fn.min("run_at").as("next"))
      .where("locked_by", "is", null)
      .executeTakeFirst();
    return (row?.next as string | null | undefined) ?? null;
  }

  /** Unlocks jobs held by owners that are gone (after a restart). */
  async releaseLocked(exceptOwner: string): Promise<string[]> {
    const rows = await this.db
      .updateTable("jobs")
      .set({ locked_by: null, locked_at: null })
      .where("locked_by", "is not", null)
      .where("locked_by", "not like", `${exceptOwner}:%`)
      .returning(["execution_id"])
      .execute();
    return rows.map((r) => r.execution_id);
  }

  async countQueued(): Promise<number> {
    const row = await this.db.selectFrom("jobs").select((eb) => eb.fn.countAll().as("n")).executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}
