import type { AttemptSummary } from "@bifrost/contracts/execution.js";
import type { ExecutionPatch, StoredExecution } from "@bifrost/storage/executions.repo.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";

/** The final state of a run cancelled before (or while) it ran. */
export function cancelledPatch(completedAt: string): ExecutionPatch {
  return { status: "Cancelled", error: "The execution was cancelled", errorType: "Cancelled", completedAt };
}

/**
 * How a run whose process vanished mid-attempt ends: a Cancelling one is Cancelled; a
 * Running one is retried (Pending, next attempt, this one recorded as Stuck) when its
 * workflow's policy retries crashes and attempts are left, else it ends Stuck with
 * `error`. Callers queue the run again when the patch says Pending.
 */
export function interruptedPatch(e: StoredExecution, workflow: StoredWorkflow | undefined, error: string, completedAt: string): ExecutionPatch {
  if (e.status === "Cancelling") return cancelledPatch(completedAt);
  const summary: AttemptSummary = { attempt: e.attempt, status: "Stuck", error, errorType: "Stuck", startedAt: e.startedAt, completedAt, durationMs: null };
  const policy = workflow?.retryPolicy;
  if (policy && policy.retryOn.includes("crashed") && e.attempt <= policy.maxRetries) {
    return { status: "Pending", attempt: e.attempt + 1, attempts: [...e.attempts, summary], error: null, errorType: null };
  }
  return { status: "Stuck", error, errorType: "Stuck", completedAt, attempts: e.attempts.length > 0 ? [...e.attempts, summary] : [] };
}
