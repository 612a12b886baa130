import type { ExecutionRecord, ExecutionStatus, ExecutionSummary, LogLevel, LogLine, LogSearchHit, LogSearchPage, Trigger } from "@bifrost/contracts/execution.js";

export type { ExecutionRecord, ExecutionStatus, ExecutionSummary, LogLevel, LogLine, LogSearchHit, LogSearchPage, Trigger };

// The values themselves live in contracts beside zod; listed here so the bundle stays free of it.
export const STATUSES = ["Scheduled", "Pending", "Running", "Success", "Failed", "Timeout", "CompletedWithErrors", "Cancelling", "Cancelled", "Stuck"] as const satisfies readonly ExecutionStatus[];
export const TRIGGER_NAMES = ["api", "endpoint", "schedule", "form", "tool", "agent", "code", "test", "workflow"] as const satisfies readonly Trigger[];
export const LEVELS = ["debug", "info", "warn", "error"] as const satisfies readonly LogLevel[];

const TERMINAL = new Set<ExecutionStatus>(["Success", "Failed", "Timeout", "CompletedWithErrors", "Cancelled", "Stuck"]);
export const isTerminal = (s: ExecutionStatus): boolean => TERMINAL.has(s);

export interface Me {
  kind: "user" | "apiKey";
  level: "platformAdmin" | "mspMember" | "orgAdmin" | "orgMember";
  isPlatformAdmin: boolean;
  /** The organization the request acts in (null = the global scope). */
  organizationId: string | null;
  /** The organization the user or key belongs to (null = platform / MSP). */
  homeOrganizationId: string | null;
  user: { id: string; email: string; name: string; mfaEnabled?: boolean; hasPassword?: boolean } | null;
  organizations: { id: string; name: string }[];
  csrfToken: string | null;
}

export interface Workflow {
  id: string;
  name: string;
  kind: "workflow" | "tool" | "data_provider";
  orgId: string | null;
  description: string | null;
  category: string | null;
  tags: string[];
  executionMode: "sync" | "async";
  paramsSchema: Record<string, unknown>;
  timeSaved: number;
  value: number;
}

export interface ExecutionPage {
  executions: ExecutionSummary[];
  limit: number;
  offset: number;
  hasMore: boolean;
}
