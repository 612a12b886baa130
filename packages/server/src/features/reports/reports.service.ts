import { sql, type Kysely } from "kysely";
import type { Schema } from "@bifrost/storage/schema.js";

export interface RoiTotals {
  /** Successful runs in the range. */
  executions: number;
  /** Minutes saved. */
  timeSaved: number;
  /** Money value. */
  value: number;
}

export interface RoiRange {
  /** `undefined` = every organization (platform admin without one). */
  orgId: string | null | undefined;
  /** Inclusive, ISO-8601. */
  since: string;
  /** Exclusive, ISO-8601. */
  until: string;
}

/**
 * ROI reports (SPEC §3): each successful run records its workflow's `timeSaved` and
 * `value` (as changed at run time through `context.roi`); reports add them up straight
 * from the execution records, so the numbers match the runs exactly.
 */
export class ReportsService {
  constructor(private readonly db: Kysely<Schema>) {}

  private base(range: RoiRange) {
    let q = this.db
      .selectFrom("executions")
      .where("executions.status", "=", "Success")
      .where("executions.created_at", ">=", range.since)
      .where("executions.created_at", "<", range.until);
    if (range.orgId === null) q = q.where("executions.organization_id", "is", null);
    else if (range.orgId !== undefined) q = q.where("executions.organization_id", "=", range.orgId);
    return q;
  }

  private static totals = {
    executions: sql<number>`count(*)`,
    timeSaved: sql<number>`coalesce(sum(executions.time_saved), 0)`,
    value: sql<number>`coalesce(sum(executions.value), 0)`,
  };

  async summary(range: RoiRange): Promise<RoiTotals & { tokensUsed: number }> {
    const t = ReportsService.totals;
    const row = await this.base(range)
      .select([t.executions.as("executions"), t.timeSaved.as("timeSaved"), t.value.as("value")])
      .executeTakeFirst();
    return { executions: Number(row?.executions ?? 0), timeSaved: Number(row?.timeSaved ?? 0), value: Number(row?.value ?? 0), tokensUsed: await this.tokensUsed(range) };
  }

  /** LLM tokens spent in the range by every run, whatever its outcome (a failed run's tokens were paid for too). */
  async tokensUsed(range: RoiRange): Promise<number> {
    let q = this.db
      .selectFrom("executions")
      .where("executions.created_at", ">=", range.since)
      .where("executions.created_at", "<", range.until);
    if (range.orgId === null) q = q.where("executions.organization_id", "is", null);
    else if (range.orgId !== undefined) q = q.where("executions.organization_id", "=", range.orgId);
    const row = await q.select(sql<number>`coalesce(sum(executions.tokens_used), 0)`.as("tokens")).executeTakeFirst();
    return Number(row?.tokens ?? 0);
  }

  async byWorkflow(range: RoiRange): Promise<(RoiTotals & { workflowId: string | null; workflowName: string })[]> {
    const t = ReportsService.totals;
    const rows = await this.base(range)
      .select(["workflow_id", "workflow_name", t.executions.as("executions"), t.timeSaved.as("timeSaved"), t.value.as("value")])
      .groupBy(["workflow_id", "workflow_name"])
      .orderBy("timeSaved", "desc")
      .orderBy("workflow_name")
      .execute();
    return rows.map((r) => ({
      workflowId: r.workflow_id,
      workflowName: r.workflow_name,
      executions: Number(r.executions),
      timeSaved: Number(r.timeSaved),
      value: Number(r.value),
    }));
  }

  async byOrganization(range: RoiRange): Promise<(RoiTotals & { orgId: string | null; orgName: string | null })[]> {
    const t = ReportsService.totals;
    const rows = await this.base(range)
      .leftJoin("organizations", "organizations.id", "executions.organization_id")
      .select(["executions.organization_id as orgId", "organizations.name as orgName", t.executions.as("executions"), t.timeSaved.as("timeSaved"), t.value.as("value")])
      .groupBy(["executions.organization_id", "organizations.name"])
      .orderBy("timeSaved", "desc")
      .execute();
    return rows.map((r) => ({ orgId: r.orgId, orgName: r.orgName, executions: Number(r.executions), timeSaved: Number(r.timeSaved), value: Number(r.value) }));
  }

  /** One row per UTC day in the range, days without runs included as zeros. */
  async trend(range: RoiRange): Promise<(RoiTotals & { date: string })[]> {
    const t = ReportsService.totals;
    const day = sql<string>`substr(created_at, 1, 10)`;
    const rows = await this.base(range)
      .select([day.as("date"), t.executions.as("executions"), t.timeSaved.as("timeSaved"), t.value.as("value")])
      .groupBy(day)
      .execute();
    const byDay = new Map(rows.map((r) => [r.date, r]));
    const out: (RoiTotals & { date: string })[] = [];
    const end = new Date(range.until);
    for (let d = new Date(range.since.slice(0, 10)); d < end; d = new Date(d.getTime() + 86_400_000)) {
      const date = d.toISOString().slice(0, 10);
      const r = byDay.get(date);
      out.push({ date, executions: Number(r?.executions ?? 0), timeSaved: Number(r?.timeSaved ?? 0), value: Number(r?.value ?? 0) });
    }
    return out;
  }
}
