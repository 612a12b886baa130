import { transactionFor, type InTransaction } from "./audit.repo.js";
import type { Kysely } from "kysely";
import type { Schema } from "./schema.js";

export interface ScheduleState {
  workflowId: string;
  paused: boolean;
  cron: string;
  lastTick: string | null;
  lastExecutionId: string | null;
}

/** Schedule state per workflow, and the tick claims that make a tick fire once. */
export class SchedulesRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  async all(): Promise<ScheduleState[]> {
    const rows = await this.db.selectFrom("schedule_state").selectAll().execute();
    return rows.map((r) => ({ workflowId: r.workflow_id, paused: r.paused === 1, cron: r.cron, lastTick: r.last_tick, lastExecutionId: r.last_execution_id }));
  }

  async get(workflowId: string): Promise<ScheduleState | null> {
    const r = await this.db.selectFrom("schedule_state").selectAll().where("workflow_id", "=", workflowId).executeTakeFirst();
    return r ? { workflowId: r.workflow_id, paused: r.paused === 1, cron: r.cron, lastTick: r.last_tick, lastExecutionId: r.last_execution_id } : null;
  }

  /**
   * Starts tracking a schedule (or a changed cron expression) from `from`: ticks before
   * it are not owed. A known schedule with the same expression keeps its state.
   */
  async ensure(workflowId: string, cron: string, from: string): Promise<void> {
    const now = new Date().toISOString();
    await this.db
      .insertInto("schedule_state")
      .values({ workflow_id: workflowId, paused: 0, cron, last_tick: from, last_execution_id: null, updated_at: now })
      .onConflict((oc) => oc.column("workflow_id").doNothing())
      .execute();
    await this.db
      .updateTable("schedule_state")
      .set({ cron, last_tick: from, updated_at: now })
      .where("workflow_id", "=", workflowId)
      .where("cron", "!=", cron)
      .execute();
  }

  /** `also` (the audit event) commits with the change, or neither does. */
  async setPaused(workflowId: string, paused: boolean, also?: InTransaction): Promise<void> {
    await transactionFor(this.db, also, async (trx) => {
      await trx.updateTable("schedule_state").set({ paused: paused ? 1 : 0, updated_at: new Date().toISOString() }).where("workflow_id", "=", workflowId).execute();
      await also?.(trx);
    });
  }

  /** Moves the schedule past `tick` (only forward: a slower scheduler never moves it back). */
  async advance(workflowId: string, tick: string, executionId: string | null): Promise<void> {
    await this.db
      .updateTable("schedule_state")
      .set({ last_tick: tick, ...(executionId ? { last_execution_id: executionId } : {}), updated_at: new Date().toISOString() })
      .where("workflow_id", "=", workflowId)
      .where((eb) => eb.or([eb("last_tick", "is", null), eb("last_tick", "<", tick)]))
      .execute();
  }

  /** Claims a tick; true for exactly one caller however many schedulers ask. */
  async claimTick(workflowId: string, tick: string, firedBy: string): Promise<boolean> {
    const r = await this.db
      .insertInto("schedule_ticks")
      .values({ workflow_id: workflowId, tick, execution_id: null, fired_by: firedBy, created_at: new Date().toISOString() })
      .onConflict((oc) => oc.columns(["workflow_id", "tick"]).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async recordTickExecution(workflowId: string, tick: string, executionId: string): Promise<void> {
    await this.db.updateTable("schedule_ticks").set({ execution_id: executionId }).where("workflow_id", "=", workflowId).where("tick", "=", tick).execute();
  }

  async ticks(workflowId: string): Promise<{ tick: string; executionId: string | null; firedBy: string }[]> {
    const rows = await this.db.selectFrom("schedule_ticks").selectAll().where("workflow_id", "=", workflowId).orderBy("tick").execute();
    return rows.map((r) => ({ tick: r.tick, executionId: r.execution_id, firedBy: r.fired_by }));
  }

  /** Keeps the tick log bounded. */
  async pruneTicks(olderThan: string): Promise<void> {
    await this.db.deleteFrom("schedule_ticks").where("tick", "<", olderThan).execute();
  }
}
