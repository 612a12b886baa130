import type { ExecutionRecord, ExecutionStatus, ExecutionSummary, LogLine, Trigger } from "@bifrost/contracts/execution.js";
import { call } from "./transport.js";

export type { ExecutionRecord, ExecutionStatus, ExecutionSummary, LogLine };

export interface ExecutionFilters {
  /** Workflow name or id. */
  workflow?: string;
  status?: ExecutionStatus | ExecutionStatus[];
  trigger?: Trigger;
  /** ISO-8601; runs created at or after. */
  since?: string;
  /** ISO-8601; runs created before. */
  until?: string;
  /** 1–500, default 50. */
  limit?: number;
  offset?: number;
}

/**
 * The organization's executions, newest first, as summaries: status, error (its first
 * 1,000 characters), timing and ROI — no input, result, variables or logs (read those
 * with `get` and `logs`).
 *
 * @example
 * ```ts
 * import { executions } from "bifrost";
 *
 * const failures = await executions.list({ workflow: "sync_tickets", status: "Failed", since: "2026-11-01" });
 * const first = failures[0] ? await executions.get(failures[0].id) : null; // with input and result
 * ```
 */
export function list(filters: ExecutionFilters = {}): Promise<ExecutionSummary[]> {
  return call("executions.list", [filters], { idempotent: true });
}

/**
 * One execution's record: status, input, result, error, variables, attempts, ROI.
 *
 * @example
 * ```ts
 * import { executions, workflows } from "bifrost";
 *
 * const id = await workflows.execute("sync_tickets", { tenant: "contoso" });
 * const record = await executions.get(id);
 * ```
 */
export function get(id: string): Promise<ExecutionRecord> {
  return call("executions.get", [id], { idempotent: true });
}

/**
 * An execution's log lines, in order (debug lines only for platform admins).
 *
 * @example
 * ```ts
 * import { executions } from "bifrost";
 *
 * for (const line of await executions.logs(id)) console.log(line.level, line.message);
 * ```
 */
export function logs(id: string): Promise<LogLine[]> {
  return call("executions.logs", [id], { idempotent: true });
}
