import { z } from "zod";
import { HttpError } from "../../http-error.js";
import type { SdkRegistry } from "../sdk/sdk-registry.js";
import { canUse, publicWorkflow, type WorkflowsService } from "./workflows.service.js";
import { visibleOrgOf } from "../sdk/scope.js";
import type { Engine } from "@bifrost/engine/engine.js";

const Params = z.record(z.string(), z.unknown());

/** The SDK's `workflows` module. */
export function registerWorkflowsSdk(sdk: SdkRegistry, engine: Engine, workflows: WorkflowsService): void {
  sdk.register(
    "workflows.list",
    ["filters"],
    z.tuple([z.object({ category: z.string().optional(), tag: z.string().optional(), type: z.string().optional(), text: z.string().optional() }).strict().optional()]),
    async (caller, filters = {}) =>
      engine.registry.list({ orgId: visibleOrgOf(caller), category: filters.category, tag: filters.tag, kind: filters.type, text: filters.text }).filter((w) => canUse(caller, w.access)).map(publicWorkflow),
  );

  sdk.register("workflows.get", ["id"], z.tuple([z.string().min(1)]), async (caller, id) => publicWorkflow(workflows.find(caller, id)));

  // Waits for the run; its result is the value, its failure an error naming the run.
  sdk.register("workflows.run", ["name", "params"], z.tuple([z.string().min(1), Params.optional()]), async (caller, name, params = {}) => {
    const { record } = await workflows.executeSync(caller, name, params, "api");
    if (record.status === "Success" || record.status === "CompletedWithErrors") return record.result;
    const error = new HttpError(
      409,
      "workflow_failed",
      `Workflow "${record.workflowName}" ended ${record.status} (execution ${record.id})${record.error ? `: ${record.error}` : ""}`,
    );
    error.name = record.errorType ?? "WorkflowFailed";
    throw error;
  });

  sdk.register(
    "workflows.execute",
    ["name", "params", "options"],
    z.tuple([z.string().min(1), Params.optional(), z.object({ delaySeconds: z.number().min(0).max(31_536_000).optional() }).strict().optional()]),
    async (caller, name, params = {}, options = {}) => (await workflows.enqueue(caller, name, params, "api", options.delaySeconds ?? 0)).id,
  );
}
