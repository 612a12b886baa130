import type { ExecutionRecord, LogLine, Trigger } from "@bifrost/contracts/execution.js";
import type { WorkflowAccess } from "@bifrost/contracts/workflow-options.js";
import { MAX_WORKFLOW_DEPTH, type SdkCaller } from "@bifrost/contracts/sdk.js";
import type { Engine } from "@bifrost/engine/engine.js";
import type { StartRequest } from "@bifrost/engine/executor/executor.js";
import type { ExecutionPrincipal } from "@bifrost/storage/executions.repo.js";
import { z } from "zod";
import type { StoredExecution } from "@bifrost/storage/executions.repo.js";
import type { StoredWorkflow } from "@bifrost/storage/workflows.repo.js";
import { HttpError, notFound, validationFailed } from "../../http-error.js";
import { DEFAULT_MAX_JSON_DEPTH, fieldTooDeep } from "../../json-depth.js";
import { executionView } from "../executions/execution-view.js";
import { visibleOrgOf } from "../sdk/scope.js";


/**
 * Whether `caller` may see and run something with this access: `authenticated` — anyone
 * in scope; `roleBased` — a person holding one of its roles. Callers without `roles`
 * (platform admins, keys without a user, running workflows) are not restricted.
 */
export function canUse(caller: SdkCaller, access: WorkflowAccess | null | undefined): boolean {
  if (!caller.roles || !access || access.level !== "roleBased") return true;
  const wanted = new Set(access.roles.map((r) => r.toLowerCase()));
  return caller.roles.some((r) => wanted.has(r));
}

export function publicWorkflow(w: StoredWorkflow) {
  const { modulePath: _modulePath, ...rest } = w;
  return rest;
}

/** Inline code as `POST /api/workflows/code/execute` and MCP's `execute_code` take it. */
export const InlineCode = z
  .object({
    code: z.string().min(1, "is required").max(1_000_000),
    params: z.record(z.string(), z.unknown()).default({}),
    timeoutSeconds: z.number().positive().max(3600).default(60),
  })
  .strict();

/** Finding, validating and starting workflows: shared by the HTTP routes and the SDK. */
export class WorkflowsService {
  constructor(
    private readonly engine: Engine,
    /** Deepest parameters accepted (BIFROST_MAX_JSON_DEPTH): agents' tool calls bring parameters no HTTP body check saw. */
    private readonly maxJsonDepth = DEFAULT_MAX_JSON_DEPTH,
  ) {}

  find(caller: SdkCaller, idOrName: string): StoredWorkflow {
    const w = this.engine.registry.resolve(idOrName, visibleOrgOf(caller));
    // A role-based workflow the person may not use does not exist for them.
    if (!w || !canUse(caller, w.access)) throw notFound(`Workflow "${idOrName}"`);
    return w;
  }

  /** Invalid input never reaches a worker: 422 with one message per field. */
  validate(w: StoredWorkflow, input: unknown): Record<string, unknown> {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      throw validationFailed([{ path: "(body)", message: "must be a JSON object of the workflow's parameters" }]);
    }
    const tooDeep = fieldTooDeep("params", input, this.maxJsonDepth);
    if (tooDeep) throw tooDeep;
    const fields = this.engine.validator.validate(`${w.id}:${w.sourceHash}`, w.paramsSchema, input);
    if (fields) throw validationFailed(fields);
    return input as Record<string, unknown>;
  }

  /**
   * What starting `w` for `caller` means: it acts in the caller's organization (or, for a
   * platform admin without one, in the workflow's own), as the caller, one level deeper
   * than the run that asked for it.
   */
  async request(caller: SdkCaller, w: StoredWorkflow, input: Record<string, unknown>, trigger: Trigger): Promise<StartRequest> {
    const orgId = caller.orgId ?? w.orgId;
    // The caller's organization name when it has one at hand, else the organization's own.
    const orgName =
      orgId === null ? null : orgId === caller.orgId && caller.orgName !== null ? caller.orgName : ((await this.engine.repos.organizations.get(orgId))?.name ?? null);
    const depth = caller.executionId ? caller.depth + 1 : 0;
    if (depth > MAX_WORKFLOW_DEPTH) {
      throw new HttpError(
        422,
        "depth_limit",
        `Workflow "${w.name}" was not started: runs may nest at most ${MAX_WORKFLOW_DEPTH} deep (does a workflow call itself without end?)`,
      );
    }
    return {
      workflow: w,
      input,
      orgId,
      userId: caller.userId ?? caller.keyId,
      principal: { keyId: caller.keyId, userName: caller.userName, email: caller.email ?? null, orgName, isPlatformAdmin: caller.isPlatformAdmin, depth },
      trigger: caller.executionId ? "workflow" : trigger,
      parentId: caller.executionId,
    };
  }

  /** The record of a sync run with its logs (debug lines for platform admins only). */
  async view(caller: SdkCaller, run: { record: StoredExecution; logs: LogLine[] | null }): Promise<ExecutionRecord> {
    const logs = run.logs
      ? run.logs.filter((l) => caller.isPlatformAdmin || l.level !== "debug")
      : await this.engine.repos.executions.logs(run.record.id, { includeDebug: caller.isPlatformAdmin });
    return executionView(run.record, logs);
  }

  async executeSync(caller: SdkCaller, idOrName: string, input: unknown, trigger: Trigger, options: { noRetries?: boolean } = {}) {
    const w = this.find(caller, idOrName);
    const params = this.validate(w, input);
    const target = options.noRetries ? { ...w, retryPolicy: null } : w;
    return this.engine.executor.executeSync(await this.request(caller, target, params, trigger));
  }

  /**
   * Compiles and runs inline code in the caller's organization (platform admins only: the
   * callers check). Throws `CompileError` for code that does not compile.
   */
  async runCode(caller: SdkCaller, principal: ExecutionPrincipal, input: z.output<typeof InlineCode>, trigger: "code" | "tool") {
    const inline = await this.engine.compileInline(input.code, input.timeoutSeconds);
    return this.engine.executor.executeSync({ inline, input: input.params, orgId: caller.orgId, userId: caller.userId ?? caller.keyId, principal, trigger });
  }

  async enqueue(caller: SdkCaller, idOrName: string, input: unknown, trigger: Trigger, delaySeconds = 0) {
    const w = this.find(caller, idOrName);
    const params = this.validate(w, input);
    return this.engine.executor.enqueue(await this.request(caller, w, params, trigger), delaySeconds * 1000);
  }
}
