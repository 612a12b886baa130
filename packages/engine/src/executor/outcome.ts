import { isRetriable, type ErrorCode } from "@bifrost/contracts/errors.js";
import type { ExecutionStatus, FieldError } from "@bifrost/contracts/execution.js";
import type { RunOutcome } from "@bifrost/contracts/ipc.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";
import type { TaskResult } from "../pool/worker-pool.js";

export interface AttemptOutcome {
  status: ExecutionStatus;
  code: ErrorCode | null;
  result: unknown;
  error: string | null;
  errorType: string | null;
  errorStack: string | null;
  validationErrors: FieldError[] | null;
  variables: Record<string, unknown> | null;
  roi: { timeSaved: number; value: number };
}

const NO_ROI = { timeSaved: 0, value: 0 };

/** Keeps the user's frames and drops the platform's own from a stack trace. */
export function cleanStack(stack: string | undefined, workspace: string): string | null {
  if (!stack) return null;
  const root = workspace.endsWith("/") ? workspace : `${workspace}/`;
  // Frames outside the workspace are the platform's (or Node's): they only add noise.
  return stack
    .split("\n")
    .filter((line) => !/^\s+at /.test(line) || line.includes(root))
    .map((line) => line.replaceAll(`file://${root}`, "").replaceAll(root, ""))
    .join("\n");
}

/** Maps what the pool reported to the execution's new state (SPEC §3). */
export function toAttemptOutcome(task: TaskResult<RunOutcome>, timeoutSeconds: number, workspace: string): AttemptOutcome {
  const base = { result: null, errorStack: null, validationErrors: null, variables: null, roi: NO_ROI };
  switch (task.kind) {
    case "done": {
      const o = task.outcome;
      if (o.ok) {
        const r = o.result as { success?: unknown } | null;
        const partial = typeof r === "object" && r !== null && !Array.isArray(r) && r.success === false;
        return {
          ...base,
          status: partial ? "CompletedWithErrors" : "Success",
          code: null,
          result: o.result,
          error: partial && typeof (r as { error?: unknown }).error === "string" ? ((r as { error: string }).error) : null,
          errorType: null,
          variables: o.variables,
          roi: partial ? NO_ROI : o.roi,
        };
      }
      return {
        ...base,
        status: "Failed",
        code: o.error.code,
        error: o.error.message,
        errorType: o.error.type,
        errorStack: o.error.code === "validation" ? null : cleanStack(o.error.stack, workspace),
        validationErrors: o.validation ?? null,
        variables: o.variables,
      };
    }
    case "timeout":
      return { ...base, status: "Timeout", code: "timeout", error: `The execution exceeded its timeout of ${timeoutSeconds} s and was stopped`, errorType: "Timeout" };
    case "cancelled":
      return { ...base, status: "Cancelled", code: "cancelled", error: "The execution was cancelled", errorType: "Cancelled" };
    case "memory":
      return { ...base, status: "Failed", code: "memory", error: `The execution was stopped: ${task.detail}`, errorType: "MemoryLimitExceeded" };
    case "crashed": {
      const how = task.signal ? `was killed by ${task.signal}` : `exited with code ${task.exitCode}`;
      const detail = task.stderr.trim().split("\n").slice(-3).join(" ").slice(0, 500);
      return {
        ...base,
        status: "Failed",
        code: "crashed",
        error: `The worker process running this execution ${how}${detail ? `: ${detail}` : ""}`,
        errorType: "WorkerCrashed",
      };
    }
  }
}

/** Delay before the next attempt, or null when the policy says not to retry. */
export function retryDelayMs(workflow: StoredWorkflow | undefined, outcome: AttemptOutcome, attempt: number): number | null {
  const policy = workflow?.retryPolicy;
  if (!policy || !outcome.code || attempt > policy.maxRetries) return null;
  if (!isRetriable(outcome.code, policy.retryOn)) return null;
  const factor = policy.backoff === "exponential" ? 2 ** (attempt - 1) : 1;
  return Math.round(policy.delaySeconds * 1000 * factor);
}
