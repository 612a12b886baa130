import { z } from "zod";
import { isoDate } from "../../parse.js";
import { EXECUTION_STATUSES, TRIGGERS } from "@bifrost/contracts/execution.js";
import type { SdkCaller } from "@bifrost/contracts/sdk.js";
import type { ExecutionsRepo, StoredExecution } from "@bifrost/storage/executions.repo.js";
import { notFound } from "../../http-error.js";
import type { SdkRegistry } from "../sdk/sdk-registry.js";
import { visibleOrgOf } from "../sdk/scope.js";
import { executionView } from "./execution-view.js";

export const ExecutionFilters = z
  .object({
    workflow: z.string().optional(),
    status: z.union([z.enum(EXECUTION_STATUSES), z.array(z.enum(EXECUTION_STATUSES))]).optional(),
    trigger: z.enum(TRIGGERS).optional(),
    since: isoDate.optional(),
    until: isoDate.optional(),
    limit: z.number().int().min(1).max(500).default(50),
    offset: z.number().int().min(0).default(0),
  })
  .strict();

/** Another organization's execution is "not found": its existence is not revealed. */
export async function visibleExecution(repo: ExecutionsRepo, caller: SdkCaller, id: string): Promise<StoredExecution> {
  const record = await repo.get(id);
  const org = visibleOrgOf(caller);
  if (!record || (org !== undefined && record.orgId !== org)) throw notFound("Execution");
  return record;
}

/** The SDK's `executions` module. */
export function registerExecutionsSdk(sdk: SdkRegistry, repo: ExecutionsRepo): void {
  sdk.register("executions.list", ["filters"], z.tuple([ExecutionFilters.optional()]), async (caller, filters) => {
    const f = filters ?? ExecutionFilters.parse({});
    const status = f.status === undefined ? undefined : Array.isArray(f.status) ? f.status : [f.status];
    const page = await repo.list({ ...f, status, orgId: visibleOrgOf(caller) });
    return page.executions;
  });
  sdk.register("executions.get", ["id"], z.tuple([z.string().min(1)]), async (caller, id) => executionView(await visibleExecution(repo, caller, id)));
  sdk.register("executions.logs", ["id"], z.tuple([z.string().min(1)]), async (caller, id) => {
    const record = await visibleExecution(repo, caller, id);
    return repo.logs(record.id, { includeDebug: caller.isPlatformAdmin });
  });
}
