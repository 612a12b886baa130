import type { ExecutionRecord, ExecutionStatus, LogLine, Trigger } from "@bifrost/contracts/execution.js";
import { call } from "./transport.js";

export type { ExecutionRecord, ExecutionStatus, LogLine };

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
 * The organization's executions, newest first (without logs).
 *
 * @example
 * ```ts
 * import { executions } from "bifrost";
 *
 * const failures = await executions.list({ workflow: "sync_tickets", status: "Failed", since: "2026-11-01" });
 * ```
 */
export function list(filters: ExecutionFilters = {}): Promise<ExecutionRecord[]> {
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
