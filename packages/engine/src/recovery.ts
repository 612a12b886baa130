import type { ExecutionsRepo } from "@bifrost/storage/executions.repo.js";
import type { JobsRepo } from "@bifrost/storage/jobs.repo.js";
import type { WriteBatcher } from "./executor/write-batcher.js";
import type { DbQueue } from "./queue/db-queue.js";
import type { Registry } from "./registry/registry.js";

/**
 * After a restart: runs the previous process left `Running` lost their worker. Each is
 * retried when its workflow's policy retries crashes, else marked `Stuck` — never left
 * `Running`. Queued jobs it had claimed are released and run again.
 */
export async function recoverInterrupted(deps: {
  executions: ExecutionsRepo;
  jobs: JobsRepo;
  queue: DbQueue;
  registry: Registry;
  batcher: WriteBatcher;
}): Promise<{ stuck: number; retried: number; cancelled: number }> {
  await deps.jobs.releaseLocked(deps.queue.owner);
  const counts = { stuck: 0, retried: 0, cancelled: 0 };
  const now = new Date().toISOString();
  for (const e of await deps.executions.listByStatus(["Running", "Cancelling", "Pending"])) {
    if (e.status === "Cancelling") {
      await deps.executions.update(e.id, { status: "Cancelled", error: "The execution was cancelled", errorType: "Cancelled", completedAt: now });
      await deps.jobs.deleteForExecution(e.id);
      counts.cancelled++;
      continue;
    }
    const hasJob = (await deps.jobs.deleteForExecution(e.id)) || false;
    if (e.status === "Pending" && hasJob) {
      await deps.queue.enqueue({ executionId: e.id }); // put back what we just probed
      continue;
    }
    const workflow = e.workflowId ? deps.registry.getById(e.workflowId) : undefined;
    const policy = workflow?.retryPolicy;
    if (e.status === "Running" && policy && policy.retryOn.includes("crashed") && e.attempt <= policy.maxRetries) {
      await deps.batcher.write(async (trx) => {
        await deps.executions.update(
          e.id,
          {
            status: "Pending",
            attempt: e.attempt + 1,
            attempts: [
              ...e.attempts,
              { attempt: e.attempt, status: "Stuck", error: "The platform stopped while this attempt was running", errorType: "Stuck", startedAt: e.startedAt, completedAt: now, durationMs: null },
            ],
          },
          undefined,
          trx,
        );
        await deps.queue.enqueue({ executionId: e.id }, { trx });
      });
      counts.retried++;
      continue;
    }
    await deps.executions.update(e.id, {
      status: "Stuck",
      error:
        e.status === "Running"
          ? "The worker running this execution vanished (the platform stopped or restarted while it ran)"
          : "The platform stopped before this execution started",
      errorType: "Stuck",
      completedAt: now,
    });
    counts.stuck++;
  }
  return counts;
}
