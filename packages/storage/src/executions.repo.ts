import { sql, type ExpressionBuilder, type Kysely, type Transaction } from "kysely";
import {
  EXECUTION_LIST_ERROR_CHARS,
  type AttemptSummary,
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionSummary,
  type FieldError,
  type LogLevel,
  type LogLine,
  type LogSearchHit,
  type Trigger,
} from "@bifrost/contracts/execution.js";
import { dialectOf } from "./dialect.js";
import { fromJson, toJson } from "./json.js";
import type { Schema } from "./schema.js";

/** Who started a run: kept with it so retries and resumed runs act with the same rights. */
export interface ExecutionPrincipal {
  keyId: string | null;
  userName: string | null;
  email: string | null;
  orgName: string | null;
  isPlatformAdmin: boolean;
  /** `workflows.run` nesting depth of this run (0 or absent = started from outside). */
  depth?: number;
}

export interface NewExecution {
  id: string;
  workflowId: string | null;
  workflowName: string;
  orgId: string | null;
  userId: string | null;
  trigger: Trigger;
  status: ExecutionStatus;
  input: unknown;
  createdAt: string;
  parentId: string | null;
  principal: ExecutionPrincipal;
  /** For a run inserted Running: its first heartbeat. */
  heartbeatAt?: string | null;
  /** True for a run its caller waits on in the process running it (no queue message). */
  sync?: boolean;
  /** When a Scheduled run is due. */
  notBefore?: string | null;
}

/** Columns a state change may set; unset keys are left alone. */
export interface ExecutionPatch {
  status?: ExecutionStatus;
  result?: unknown;
  error?: string | null;
  errorType?: string | null;
  errorStack?: string | null;
  validationErrors?: FieldError[] | null;
  variables?: Record<string, unknown> | null;
  durationMs?: number | null;
  startedAt?: string | null;
  completedAt?: string | null;
  attempt?: number;
  attempts?: AttemptSummary[];
  tokensUsed?: number;
  timeSaved?: number;
  value?: number;
  heartbeatAt?: string;
  notBefore?: string | null;
}

export interface ExecutionFilter {
  /** `undefined` = every organization (platform admins); `null` = global runs only. */
  orgId?: string | null;
  /** Only runs started by this user (organization members see their own runs). */
  userId?: string;
  /** Workflow name or id. */
  workflow?: string;
  /** Text in the workflow's name or the run's error (literal, any case). */
  text?: string;
  /** Only the runs this run started (`workflows.run`). */
  parentId?: string;
  status?: ExecutionStatus[];
  trigger?: Trigger;
  since?: string;
  until?: string;
  limit: number;
  offset: number;
}

/** What the log search across runs narrows by (every field optional but the page). */
export interface LogSearchFilter {
  /** `undefined` = every organization; `null` = global runs only. */
  orgId?: string | null;
  /** Workflow name or id. */
  workflow?: string;
  levels?: LogLevel[];
  /** Text the message contains (case-insensitive; no wildcards). */
  text?: string;
  /** Lines written at or after / before these times (ISO-8601). */
  since?: string;
  until?: string;
  limit: number;
  offset: number;
}

/** `text` as a LIKE pattern matching it literally anywhere (`\` escapes %, _ and itself). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface StoredExecution extends ExecutionRecord {
  principal: ExecutionPrincipal;
  /** Last sign of life of the process running it (queued runs); internal. */
  heartbeatAt?: string | null;
  /** The bundle (SHA-256) and export the run was created for; internal. */
  moduleHash?: string | null;
  exportName?: string | null;
  /** True for a run its caller waits on in the process running it (no queue message); internal. */
  sync?: boolean;
  /** When a Scheduled run is due; internal. */
  notBefore?: string | null;
}

type Db = Kysely<Schema> | Transaction<Schema>;

function toRecord(row: Schema["executions"]): StoredExecution {
  return {
    id: row.id,
    workflowId: row.workflow_id,
    workflowName: row.workflow_name,
    orgId: row.organization_id,
    userId: row.user_id,
    trigger: row.trigger as Trigger,
    status: row.status as ExecutionStatus,
    input: fromJson(row.input),
    result: fromJson(row.result),
    error: row.error,
    errorType: row.error_type,
    errorStack: row.error_stack,
    validationErrors: fromJson<FieldError[]>(row.validation_errors),
    variables: fromJson<Record<string, unknown>>(row.variables),
    durationMs: row.duration_ms,
    createdAt: row.created_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    attempt: row.attempt,
    attempts: JSON.parse(row.attempts) as AttemptSummary[],
    parentId: row.parent_id,
    tokensUsed: row.tokens_used,
    timeSaved: row.time_saved,
    value: row.value,
    principal: JSON.parse(row.principal) as ExecutionPrincipal,
    heartbeatAt: row.heartbeat_at ?? null,
    moduleHash: row.module_hash ?? null,
    exportName: row.export_name ?? null,
    sync: row.sync === 1,
    notBefore: row.not_before ?? null,
  };
}

function patchToColumns(patch: ExecutionPatch): Partial<Schema["executions"]> {
  const cols: Partial<Schema["executions"]> = {};
  if (patch.status !== undefined) cols.status = patch.status;
  if ("result" in patch) cols.result = toJson(patch.result);
  if (patch.error !== undefined) cols.error = patch.error;
  if (patch.errorType !== undefined) cols.error_type = patch.errorType;
  if (patch.errorStack !== undefined) cols.error_stack = patch.errorStack;
  if (patch.validationErrors !== undefined) cols.validation_errors = toJson(patch.validationErrors);
  if (patch.variables !== undefined) cols.variables = toJson(patch.variables);
  if (patch.durationMs !== undefined) cols.duration_ms = patch.durationMs;
  if (patch.startedAt !== undefined) cols.started_at = patch.startedAt;
  if (patch.completedAt !== undefined) cols.completed_at = patch.completedAt;
  if (patch.attempt !== undefined) cols.attempt = patch.attempt;
  if (patch.attempts !== undefined) cols.attempts = JSON.stringify(patch.attempts);
  if (patch.tokensUsed !== undefined) cols.tokens_used = patch.tokensUsed;
  if (patch.timeSaved !== undefined) cols.time_saved = patch.timeSaved;
  if (patch.value !== undefined) cols.value = patch.value;
  if (patch.heartbeatAt !== undefined) cols.heartbeat_at = patch.heartbeatAt;
  if (patch.notBefore !== undefined) cols.not_before = patch.notBefore;
  return cols;
}

/** The run is global, or its organization still exists (a deleted one's runs never start). */
function organizationExists(eb: ExpressionBuilder<Schema, "executions">) {
  return eb.or([
    eb("executions.organization_id", "is", null),
    eb.exists(eb.selectFrom("organizations").select("organizations.id").whereRef("organizations.id", "=", "executions.organization_id")),
  ]);
}

type SummaryRow = Pick<
  Schema["executions"],
  | "id"
  | "workflow_id"
  | "workflow_name"
  | "organization_id"
  | "user_id"
  | "trigger"
  | "status"
  | "error_type"
  | "duration_ms"
  | "created_at"
  | "started_at"
  | "completed_at"
  | "attempt"
  | "parent_id"
  | "tokens_used"
  | "time_saved"
  | "value"
> & { error_preview: string | null };

function toSummary(row: SummaryRow): ExecutionSummary {
  const error = row.error_preview;
  return {
    id: row.id,
    workflowId: row.workflow_id,
    workflowName: row.workflow_name,
    orgId: row.organization_id,
    userId: row.user_id,
    trigger: row.trigger as Trigger,
    status: row.status as ExecutionStatus,
    error: error !== null && error.length > EXECUTION_LIST_ERROR_CHARS ? `${error.slice(0, EXECUTION_LIST_ERROR_CHARS)}…` : error,
    errorType: row.error_type,
    durationMs: row.duration_ms,
    createdAt: row.created_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    attempt: row.attempt,
    parentId: row.parent_id,
    tokensUsed: row.tokens_used,
    timeSaved: row.time_saved,
    value: row.value,
  };
}

export class ExecutionsRepo {
  constructor(private readonly db: Kysely<Schema>) {}

  /** Inserts a new execution; a full record (a run that already ended) is written as is. */
  async insert(e: NewExecution | StoredExecution, db: Db = this.db): Promise<void> {
    const full = "attempts" in e ? e : null;
    await db
      .insertInto("executions")
      .values({
        id: e.id,
        workflow_id: e.workflowId,
        workflow_name: e.workflowName,
        organization_id: e.orgId,
        user_id: e.userId,
        trigger: e.trigger,
        status: e.status,
        input: toJson(e.input),
        result: toJson(full?.result),
        error: full?.error ?? null,
        error_type: full?.errorType ?? null,
        error_stack: full?.errorStack ?? null,
        validation_errors: toJson(full?.validationErrors),
        variables: toJson(full?.variables),
        duration_ms: full?.durationMs ?? null,
        created_at: e.createdAt,
        started_at: full?.startedAt ?? null,
        completed_at: full?.completedAt ?? null,
        attempt: full?.attempt ?? 1,
        attempts: JSON.stringify(full?.attempts ?? []),
        parent_id: e.parentId,
        tokens_used: full?.tokensUsed ?? 0,
        time_saved: full?.timeSaved ?? 0,
        value: full?.value ?? 0,
        principal: JSON.stringify(e.principal),
        heartbeat_at: e.heartbeatAt ?? null,
        sync: e.sync ? 1 : 0,
        not_before: e.notBefore ?? null,
        module_hash: ("moduleHash" in e ? e.moduleHash : null) ?? null,
        export_name: ("exportName" in e ? e.exportName : null) ?? null,
      })
      .execute();
  }

  /** Refreshes the heartbeat of runs this process is running. */
  async heartbeat(ids: string[], now: string, db: Db = this.db): Promise<void> {
    if (ids.length === 0) return;
    await db.updateTable("executions").set({ heartbeat_at: now }).where("id", "in", ids).where("status", "in", ["Running", "Cancelling"]).execute();
  }

  /**
   * Takes a delivered run for this process: Pending/Scheduled → Running, or, for a run
   * another process left Running, only while its heartbeat is still the one observed
   * (stale). Two deliveries of one run race here and exactly one wins. A run whose
   * organization no longer exists is not taken. `started_at` stays empty until a worker
   * child takes the run (`markStarted`): a run claimed but not started is queued again
   * after a crash.
   */
  async claim(id: string, startedAt: string, observed: { status: ExecutionStatus; heartbeatAt: string | null }, db: Db = this.db): Promise<boolean> {
    let query = db
      .updateTable("executions")
      .set({ status: "Running", started_at: null, heartbeat_at: startedAt, sync: 0 })
      .where("id", "=", id)
      .where(organizationExists);
    if (observed.status === "Running") {
      query = query.where("status", "=", "Running");
      query = observed.heartbeatAt === null ? query.where("heartbeat_at", "is", null) : query.where("heartbeat_at", "=", observed.heartbeatAt);
    } else {
      query = query.where("status", "in", ["Pending", "Scheduled"]);
    }
    const result = await query.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * Runs waiting for a queue message that nobody has touched since `before`: Pending ones
   * created (or last re-published) then, and Scheduled ones due then. With a broker, a
   * publish that never happened (the process died between the commit and the publish)
   * leaves exactly these.
   */
  async stalePending(before: string, limit = 500, db: Db = this.db): Promise<Array<{ id: string; heartbeatAt: string | null }>> {
    const rows = await db
      .selectFrom("executions")
      .select(["id", "heartbeat_at"])
      .where((eb) =>
        eb.or([
          eb.and([eb("status", "=", "Pending"), eb.or([eb.and([eb("heartbeat_at", "is", null), eb("created_at", "<", before)]), eb("heartbeat_at", "<", before)])]),
          eb.and([
            eb("status", "=", "Scheduled"),
            eb("not_before", "<", before),
            eb.or([eb("heartbeat_at", "is", null), eb("heartbeat_at", "<", before)]),
          ]),
        ]),
      )
      .orderBy("created_at")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, heartbeatAt: r.heartbeat_at }));
  }

  /** Marks a waiting run as re-published now, if no other process did since it was read. */
  async markRepublished(id: string, observedHeartbeat: string | null, now: string, db: Db = this.db): Promise<boolean> {
    let query = db.updateTable("executions").set({ heartbeat_at: now }).where("id", "=", id).where("status", "in", ["Pending", "Scheduled"]);
    query = observedHeartbeat === null ? query.where("heartbeat_at", "is", null) : query.where("heartbeat_at", "=", observedHeartbeat);
    const result = await query.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /**
   * The common case of a delivery: takes a Pending/Scheduled run (→ Running) and returns
   * it as it is now, in one statement; null when the run is in any other state, or its
   * organization was deleted (the caller then reads it to see why). Like `claim`, it
   * leaves `started_at` to `markStarted`.
   */
  async claimWaiting(id: string, startedAt: string, db: Db = this.db): Promise<StoredExecution | null> {
    const row = await db
      .updateTable("executions")
      .set({ status: "Running", started_at: null, heartbeat_at: startedAt, sync: 0 })
      .where("id", "=", id)
      .where("status", "in", ["Pending", "Scheduled"])
      .where(organizationExists)
      .returningAll()
      .executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /** Records that a worker child took a claimed run (the start of its attempt). */
  async markStarted(id: string, startedAt: string, db: Db = this.db): Promise<void> {
    await db.updateTable("executions").set({ started_at: startedAt }).where("id", "=", id).where("status", "in", ["Running", "Cancelling"]).execute();
  }

  /** Sync runs still Running or Cancelling whose process stopped beating before `staleBefore`. */
  async abandonedSync(staleBefore: string, limit = 100, db: Db = this.db): Promise<StoredExecution[]> {
    const rows = await db
      .selectFrom("executions")
      .selectAll()
      .where("status", "in", ["Running", "Cancelling"])
      .where("sync", "=", 1)
      .where((eb) => eb.or([eb("heartbeat_at", "is", null), eb("heartbeat_at", "<", staleBefore)]))
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  }

  /**
   * Ends an abandoned run with `patch`, only if no process touched it since it was seen
   * (same status and heartbeat): two reapers never both act on one run.
   */
  async reap(id: string, observed: { status: ExecutionStatus; heartbeatAt: string | null }, patch: ExecutionPatch, db: Db = this.db): Promise<boolean> {
    let query = db.updateTable("executions").set(patchToColumns(patch)).where("id", "=", id).where("status", "=", observed.status);
    query = observed.heartbeatAt === null ? query.where("heartbeat_at", "is", null) : query.where("heartbeat_at", "=", observed.heartbeatAt);
    const result = await query.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Several executions by id, in one query. */
  async getMany(ids: string[], db: Db = this.db): Promise<Map<string, StoredExecution>> {
    if (ids.length === 0) return new Map();
    const rows = await db.selectFrom("executions").selectAll().where("id", "in", ids).execute();
    return new Map(rows.map((r) => [r.id, toRecord(r)]));
  }

  /**
   * Applies `patch`. With `onlyIf`, the row changes only while its status is one of
   * those (compare-and-set), and the return value says whether it did.
   */
  async update(id: string, patch: ExecutionPatch, onlyIf?: ExecutionStatus[], db: Db = this.db): Promise<boolean> {
    let query = db.updateTable("executions").set(patchToColumns(patch)).where("id", "=", id);
    if (onlyIf) query = query.where("status", "in", onlyIf);
    const result = await query.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async get(id: string, db: Db = this.db): Promise<StoredExecution | null> {
    const row = await db.selectFrom("executions").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  /**
   * Newest first; `hasMore` says whether another page follows. Rows are summaries: the
   * unbounded columns (input, result, variables, stack…) are not even read, and `error`
   * is cut to EXECUTION_LIST_ERROR_CHARS (+1, so a cut one can be marked).
   */
  async list(filter: ExecutionFilter): Promise<{ executions: ExecutionSummary[]; hasMore: boolean }> {
    let query = this.db
      .selectFrom("executions")
      .select([
        "id",
        "workflow_id",
        "workflow_name",
        "organization_id",
        "user_id",
        "trigger",
        "status",
        "error_type",
        "duration_ms",
        "created_at",
        "started_at",
        "completed_at",
        "attempt",
        "parent_id",
        "tokens_used",
        "time_saved",
        "value",
      ])
      .select(sql<string | null>`substr(error, 1, ${EXECUTION_LIST_ERROR_CHARS + 1})`.as("error_preview"));
    if (filter.orgId === null) query = query.where("organization_id", "is", null);
    else if (filter.orgId !== undefined) query = query.where("organization_id", "=", filter.orgId);
    if (filter.userId !== undefined) query = query.where("user_id", "=", filter.userId);
    if (filter.workflow) {
      const w = filter.workflow;
      query = query.where((eb) => eb.or([eb("workflow_name", "=", w), eb("workflow_id", "=", w)]));
    }
    if (filter.text) {
      const like = dialectOf(this.db) === "postgres" ? sql`ilike` : sql`like`;
      const pattern = containsPattern(filter.text);
      query = query.where(sql<boolean>`(${sql.ref("workflow_name")} ${like} ${pattern} escape '\\' or ${sql.ref("error")} ${like} ${pattern} escape '\\')`);
    }
    if (filter.parentId !== undefined) query = query.where("parent_id", "=", filter.parentId);
    if (filter.status && filter.status.length > 0) query = query.where("status", "in", filter.status);
    if (filter.trigger) query = query.where("trigger", "=", filter.trigger);
    if (filter.since) query = query.where("created_at", ">=", filter.since);
    if (filter.until) query = query.where("created_at", "<", filter.until);
    const rows = await query
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(filter.limit + 1)
      .offset(filter.offset)
      .execute();
    return { executions: rows.slice(0, filter.limit).map(toSummary), hasMore: rows.length > filter.limit };
  }

  async listByStatus(statuses: ExecutionStatus[]): Promise<StoredExecution[]> {
    const rows = await this.db.selectFrom("executions").selectAll().where("status", "in", statuses).execute();
    return rows.map(toRecord);
  }

  async appendLogs(lines: (LogLine & { executionId: string })[], db: Db = this.db): Promise<void> {
    // SQLite allows at most 32,766 bound parameters per statement: 5 per row.
    for (let i = 0; i < lines.length; i += 5000) {
      const chunk = lines.slice(i, i + 5000);
      await db
        .insertInto("execution_logs")
        .values(chunk.map((l) => ({ execution_id: l.executionId, seq: l.seq, level: l.level, message: l.message, ts: l.ts })))
        .execute();
    }
  }

  /** Lines with `seq` greater than `afterSeq`, in order; debug lines only when asked. */
  async logs(id: string, options: { afterSeq?: number; includeDebug: boolean; limit?: number }): Promise<LogLine[]> {
    let query = this.db
      .selectFrom("execution_logs")
      .select(["seq", "level", "message", "ts"])
      .where("execution_id", "=", id)
      .where("seq", ">", options.afterSeq ?? 0);
    if (!options.includeDebug) query = query.where("level", "!=", "debug");
    const rows = await query.orderBy("seq").limit(options.limit ?? 100_000).execute();
    return rows.map((r) => ({ seq: r.seq, level: r.level as LogLevel, message: r.message, ts: r.ts }));
  }

  /**
   * Log lines across runs, newest first, with the run each belongs to; `hasMore` says
   * whether another page follows. Debug lines only when `includeDebug`.
   */
  async searchLogs(filter: LogSearchFilter & { includeDebug: boolean }): Promise<{ lines: LogSearchHit[]; hasMore: boolean }> {
    let query = this.db
      .selectFrom("execution_logs as l")
      .innerJoin("executions as e", "e.id", "l.execution_id")
      .select(["l.execution_id", "l.seq", "l.level", "l.message", "l.ts", "e.workflow_name", "e.organization_id", "e.status"]);
    if (filter.orgId === null) query = query.where("e.organization_id", "is", null);
    else if (filter.orgId !== undefined) query = query.where("e.organization_id", "=", filter.orgId);
    if (filter.workflow) {
      const w = filter.workflow;
      query = query.where((eb) => eb.or([eb("e.workflow_name", "=", w), eb("e.workflow_id", "=", w)]));
    }
    const levels = (filter.levels?.length ? filter.levels : (["debug", "info", "warn", "error"] as LogLevel[])).filter((l) => filter.includeDebug || l !== "debug");
    query = query.where("l.level", "in", levels.length ? levels : ["none"]);
    if (filter.text) {
      const like = dialectOf(this.db) === "postgres" ? sql`ilike` : sql`like`;
      query = query.where(sql<boolean>`${sql.ref("l.message")} ${like} ${containsPattern(filter.text)} escape '\\'`);
    }
    if (filter.since) query = query.where("l.ts", ">=", filter.since);
    if (filter.until) query = query.where("l.ts", "<", filter.until);
    const rows = await query
      .orderBy("l.ts", "desc")
      .orderBy("l.execution_id", "desc")
      .orderBy("l.seq", "desc")
      .limit(filter.limit + 1)
      .offset(filter.offset)
      .execute();
    return {
      lines: rows.slice(0, filter.limit).map((r) => ({
        executionId: r.execution_id,
        workflowName: r.workflow_name,
        orgId: r.organization_id,
        status: r.status as ExecutionStatus,
        seq: r.seq,
        level: r.level as LogLevel,
        message: r.message,
        ts: r.ts,
      })),
      hasMore: rows.length > filter.limit,
    };
  }

  /** The last `seq` of a run's stored lines and the bytes (UTF-8) of their text. */
  async logStats(id: string, db: Db = this.db): Promise<{ lastSeq: number; bytes: number }> {
    const bytes = dialectOf(this.db) === "postgres" ? sql<number>`coalesce(sum(octet_length(message)), 0)` : sql<number>`coalesce(sum(length(cast(message as blob))), 0)`;
    const row = await db
      .selectFrom("execution_logs")
      .select((eb) => [eb.fn.max("seq").as("last_seq"), bytes.as("bytes")])
      .where("execution_id", "=", id)
      .executeTakeFirst();
    return { lastSeq: Number(row?.last_seq ?? 0), bytes: Number(row?.bytes ?? 0) };
  }
}
