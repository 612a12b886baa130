import type { ExecutionsRepo } from "@bifrost/storage/executions.repo.js";
import type { JobsRepo } from "@bifrost/storage/jobs.repo.js";
import { interruptedPatch } from "./executor/interrupted.js";
import type { WriteBatcher } from "./executor/write-batcher.js";
import type { DbQueue } from "./queue/db-queue.js";
import type { Registry } from "./registry/registry.js";

/**
 * After a restart: runs the previous process left `Running` lost their worker. Each is
 * retried when its workflow's policy retries crashes, else marked `Stuck` — never left
 * `Running`. A queued run the previous process had claimed but no worker child had taken
 * yet (no `startedAt`) never started: it is queued again as it was. Queued jobs it had
 * claimed are released and run again.
 */
export async function recoverInterrupted(deps: {
  executions: ExecutionsRepo;
  jobs: JobsRepo;
  queue: DbQueue;
  registry: Registry;
  batcher: WriteBatcher;
}): Promise<{ stuck: number; retried: number; cancelled: number; requeued: number }> {
  await deps.jobs.releaseLocked(deps.queue.owner);
  const counts = { stuck: 0, retried: 0, cancelled: 0, requeued: 0 };
  const now = new Date().toISOString();
  for (const e of await deps.executions.listByStatus(["Running", "Cancelling", "Pending"])) {
    const hasJob = await deps.jobs.deleteForExecution(e.id);
    if (e.status === "Pending") {
      if (hasJob) {
        await deps.queue.enqueue({ executionId: e.id }); // put back what we just probed
        continue;
      }
      await deps.executions.update(e.id, { status: "Stuck", error: "The platform stopped before this execution started", errorType: "Stuck", completedAt: now });
      counts.stuck++;
      continue;
    }
    if (e.status === "Running" && !e.sync && e.startedAt === null) {
      // Claimed, still waiting for a worker child: nothing of this attempt ran.
      await deps.batcher.write(async (trx) => {
        await deps.executions.update(e.id, { status: "Pending", startedAt: null }, undefined, trx);
        await deps.queue.enqueue({ executionId: e.id }, { trx });
      });
      counts.requeued++;
      continue;
    }
    const workflow = e.workflowId ? deps.registry.getById(e.workflowId) : undefined;
    const patch = interruptedPatch(e, workflow, "The worker running this execution vanished (the platform stopped or restarted while it ran)", now);
    await deps.batcher.write(async (trx) => {
      await deps.executions.update(e.id, patch, undefined, trx);
      if (patch.status === "Pending") await deps.queue.enqueue({ executionId: e.id }, { trx });
    });
    if (patch.status === "Cancelled") counts.cancelled++;
    else if (patch.status === "Pending") counts.retried++;
    else counts.stuck++;
  }
  return counts;
}
