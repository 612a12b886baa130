import { z } from "zod";

/** Every state an execution can be in. `Stuck` marks a run whose worker vanished. */
export const EXECUTION_STATUSES = [
  "Scheduled",
  "Pending",
  "Running",
  "Success",
  "Failed",
  "Timeout",
  "CompletedWithErrors",
  "Cancelling",
  "Cancelled",
  "Stuck",
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const ExecutionStatusSchema = z.enum(EXECUTION_STATUSES);

const TERMINAL: ReadonlySet<ExecutionStatus> = new Set([
  "Success",
  "Failed",
  "Timeout",
  "CompletedWithErrors",
  "Cancelled",
  "Stuck",
]);

/** True once an execution can no longer change state. */
export function isTerminalStatus(status: ExecutionStatus): boolean {
  return TERMINAL.has(status);
}

/** What started an execution. */
export const TRIGGERS = ["api", "endpoint", "schedule", "form", "tool", "agent", "code", "test", "workflow"] as const;
export type Trigger = (typeof TRIGGERS)[number];

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One captured log line; `seq` orders lines within an execution and resumes live streams. */
export interface LogLine {
  seq: number;
  level: LogLevel;
  message: string;
  /** ISO-8601 timestamp taken in the worker child when the line was written. */
  ts: string;
}

export interface AttemptSummary {
  attempt: number;
  status: ExecutionStatus;
  error: string | null;
  errorType: string | null;
  startedAt: string | null;
  completedAt: string | null;
  durationMs: number | null;
}

/** The one record every run produces (SPEC §3). */
export interface ExecutionRecord {
  id: string;
  workflowId: string | null;
  workflowName: string;
  orgId: string | null;
  userId: string | null;
  trigger: Trigger;
  status: ExecutionStatus;
  input: unknown;
  result: unknown;
  error: string | null;
  errorType: string | null;
  /** Stack trace of a thrown error, with the user's `.ts` file and line. */
  errorStack: string | null;
  /** Field errors when the input failed validation inside the worker. */
  validationErrors: FieldError[] | null;
  logs?: LogLine[];
  variables: Record<string, unknown> | null;
  durationMs: number | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  attempt: number;
  attempts: AttemptSummary[];
  parentId: string | null;
  tokensUsed: number;
  timeSaved: number;
  value: number;
}

/**
 * An execution as lists show it (`GET /api/executions`, `executions.list`): the record
 * without its unbounded fields — `input`, `result`, `variables`, `errorStack`,
 * `validationErrors`, `attempts` and `logs` are read per execution — and with `error` cut
 * to `EXECUTION_LIST_ERROR_CHARS` characters.
 */
export type ExecutionSummary = Omit<ExecutionRecord, "input" | "result" | "variables" | "errorStack" | "validationErrors" | "attempts" | "logs">;

/** Longest `error` text a list shows for one execution (the record has all of it). */
export const EXECUTION_LIST_ERROR_CHARS = 1000;

/** One message for one offending input field. `path` is dotted (`address.city`, `items.0`). */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * One line of the log search across runs (`GET /api/executions/logs`): the line, and the
 * run it belongs to.
 */
export interface LogSearchHit extends LogLine {
  executionId: string;
  workflowName: string;
  orgId: string | null;
  status: ExecutionStatus;
}

/** A page of the log search, newest line first. */
export interface LogSearchPage {
  lines: LogSearchHit[];
  limit: number;
  offset: number;
  hasMore: boolean;
}
